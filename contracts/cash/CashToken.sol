// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ICashToken} from "../interfaces/ICashToken.sol";

/// @title CashToken
/// @notice A 6-decimal test stablecoin used to pay for assets and revenue; MINTER_ROLE mints
///         (the demo faucet).
contract CashToken is ERC20, AccessControl, ICashToken {
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    /// @param admin Receives DEFAULT_ADMIN_ROLE and MINTER_ROLE.
    constructor(address admin) ERC20("RWA Demo Dollar", "rUSD") {
        if (admin == address(0)) revert CashTokenZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MINTER_ROLE, admin);
    }

    /// @inheritdoc ICashToken
    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        _mint(to, amount);
    }

    /// @notice 6 decimals, like the common dollar stablecoins.
    function decimals() public pure override returns (uint8) {
        return 6;
    }
}
