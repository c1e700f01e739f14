// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

/// @title IERC7943Fungible
/// @notice ERC-7943 "uRWA" (Universal Real World Asset) interface for ERC-20 based tokens.
/// @dev Transcribed from the ERC-7943 specification revision that splits account eligibility into
///      `canSend` / `canReceive` (ERC-165 interface id 0x3edbb4c4, asserted in the tests).
interface IERC7943Fungible is IERC165 {
    /// @notice Emitted when tokens are taken from one address and transferred to another.
    event ForcedTransfer(address indexed from, address indexed to, uint256 amount);

    /// @notice Emitted whenever the frozen amount of `account` changes; `amount` is the new total.
    event Frozen(address indexed account, uint256 amount);

    error ERC7943CannotSend(address account);
    error ERC7943CannotReceive(address account);
    error ERC7943CannotTransfer(address from, address to, uint256 amount);
    error ERC7943InsufficientUnfrozenBalance(address account, uint256 amount, uint256 unfrozen);

    /// @notice Take `amount` from `from` and give it to `to` (restricted). Returns true or reverts.
    function forcedTransfer(address from, address to, uint256 amount) external returns (bool result);

    /// @notice Overwrite the frozen amount of `account` (restricted); may exceed the balance.
    function setFrozenTokens(address account, uint256 amount) external returns (bool result);

    /// @notice Whether `account` may send tokens (account-level eligibility; never reverts).
    function canSend(address account) external view returns (bool allowed);

    /// @notice Whether `account` may receive tokens (account-level eligibility; never reverts).
    function canReceive(address account) external view returns (bool allowed);

    /// @notice The frozen amount of `account` (may exceed its balance).
    function getFrozenTokens(address account) external view returns (uint256 amount);

    /// @notice Whether a transfer is currently allowed by the token's rules (never reverts).
    function canTransfer(address from, address to, uint256 amount) external view returns (bool allowed);
}
