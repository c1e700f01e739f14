// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title TrySafeERC20
/// @notice `transferFrom` that reports failure instead of reverting, for callers that must go on
///         after a failed transfer (SettlementExchange: one failing trade never reverts the batch).
/// @dev OpenZeppelin 5.1 (pinned: the newest that compiles for berlin) has no `trySafeTransferFrom`;
///      this is the same code as the later OpenZeppelin `SafeERC20.trySafeTransferFrom`
///      (`_callOptionalReturnBool`), with one difference: a return value must be at least one full
///      word. The call reads one word of return data into scratch memory instead of copying it all:
///      a plain Solidity `token.call(...)` costs about 1,250 gas more per trade (docs/gas.md), and
///      tests/contracts/test_settlement_primitives.py pins this against that plain version.
library TrySafeERC20 {
    /// @notice Whether `token.transferFrom(from, to, value)` succeeded: false when the call reverts,
    ///         returns less than a word or a first word other than 1 (false included), or returns
    ///         nothing from an address without code. An empty return from a contract is success.
    function trySafeTransferFrom(IERC20 token, address from, address to, uint256 value) internal returns (bool) {
        bytes memory data = abi.encodeCall(IERC20.transferFrom, (from, to, value));
        bool success;
        uint256 returnSize;
        uint256 returnValue;
        assembly ("memory-safe") {
            success := call(gas(), token, 0, add(data, 0x20), mload(data), 0, 0x20)
            returnSize := returndatasize()
            returnValue := mload(0)
        }
        if (!success) return false;
        return returnSize == 0 ? address(token).code.length > 0 : (returnSize >= 32 && returnValue == 1);
    }
}
