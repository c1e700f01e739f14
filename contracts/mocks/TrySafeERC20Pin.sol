// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {TrySafeERC20} from "../settlement/TrySafeERC20.sol";

/// @title TrySafeERC20Pin
/// @notice Test-only: TrySafeERC20.trySafeTransferFrom (hand-written call, what SettlementExchange
///         runs) beside the plain Solidity version it must always agree with.
contract TrySafeERC20Pin {
    using TrySafeERC20 for IERC20;

    /// @notice The library's verdict.
    function viaLibrary(IERC20 token, address from, address to, uint256 value) external returns (bool) {
        return token.trySafeTransferFrom(from, to, value);
    }

    /// @notice The same rule in plain Solidity: a low-level call, its whole return data decoded.
    function viaPlainCall(IERC20 token, address from, address to, uint256 value) external returns (bool) {
        // the plain version is this very low-level call
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory returned) = address(token).call(abi.encodeCall(IERC20.transferFrom, (from, to, value)));
        if (!ok) return false;
        if (returned.length == 0) return address(token).code.length > 0;
        return returned.length >= 32 && abi.decode(returned, (uint256)) == 1;
    }
}
