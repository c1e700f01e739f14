// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ICashToken
/// @notice The 6-decimal test stablecoin used for payment (the demo faucet).
interface ICashToken {
    error CashTokenZeroAddress();

    /// @notice Create `amount` base units for `to` (MINTER_ROLE).
    function mint(address to, uint256 amount) external;
}
