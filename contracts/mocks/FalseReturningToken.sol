// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title FalseReturningToken
/// @notice Test-only ERC-20 whose transferFrom returns false instead of reverting.
contract FalseReturningToken is ERC20 {
    constructor() ERC20("False token", "FALSE") {}

    /// @notice Mint freely (test only).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Always reports failure without moving anything.
    function transferFrom(address, address, uint256) public pure override returns (bool) {
        return false;
    }
}
