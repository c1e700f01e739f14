// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IAssetToken} from "../interfaces/IAssetToken.sol";
import {IComplianceRules} from "../interfaces/IComplianceRules.sol";

/// @title RestrictionProbe
/// @notice Test-only view aggregator for the compliance differential tests
///         (tests/integration/test_order_compliance_differential.py): many
///         detectTransferRestriction answers of one token, and its wallets' balances, partially
///         frozen amounts and locks, in one eth_call at one block.
contract RestrictionProbe {
    /// @notice token.detectTransferRestriction(froms[i], tos[i], amounts[i]) for every i, and for
    ///         every wallet its balance, frozenTokens, and the rule set's lockedBalance (the
    ///         amount locked at this block) and lockedUntil.
    function probe(
        IAssetToken token,
        IComplianceRules rules,
        address[] calldata froms,
        address[] calldata tos,
        uint256[] calldata amounts,
        address[] calldata wallets
    )
        external
        view
        returns (
            uint8[] memory codes,
            uint256[] memory balances,
            uint256[] memory frozen,
            uint256[] memory locked,
            uint64[] memory lockedUntil
        )
    {
        codes = new uint8[](froms.length);
        for (uint256 i = 0; i < froms.length; ++i) {
            codes[i] = token.detectTransferRestriction(froms[i], tos[i], amounts[i]);
        }
        balances = new uint256[](wallets.length);
        frozen = new uint256[](wallets.length);
        locked = new uint256[](wallets.length);
        lockedUntil = new uint64[](wallets.length);
        for (uint256 i = 0; i < wallets.length; ++i) {
            balances[i] = IERC20(address(token)).balanceOf(wallets[i]);
            frozen[i] = token.frozenTokens(wallets[i]);
            locked[i] = rules.lockedBalance(wallets[i]);
            lockedUntil[i] = rules.lockedUntil(wallets[i]);
        }
    }
}
