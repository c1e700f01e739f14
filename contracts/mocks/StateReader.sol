// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IComplianceRules} from "../interfaces/IComplianceRules.sol";
import {ISettlementExchange} from "../interfaces/ISettlementExchange.sol";
import {IRevenueDistributor} from "../interfaces/IRevenueDistributor.sol";

/// @title StateReader
/// @notice Test-only view aggregator: reads many values in one eth_call so stateful tests can
///         check their invariants after every step without dozens of round trips.
contract StateReader {
    struct TokenState {
        uint256 supply;
        uint256 holderCount;
        uint256[] balances;
        uint256 deposited;
        uint256 claimed;
        uint256[] claimable;
    }

    /// @notice totalSupply, holderCount and balances of `holders`; with a distributor, its
    ///         deposited and claimed totals for the token and each holder's claimable cash.
    function tokenState(IERC20 token, IComplianceRules rules, IRevenueDistributor distributor, address[] calldata holders)
        external
        view
        returns (TokenState memory state)
    {
        state.supply = token.totalSupply();
        state.holderCount = rules.holderCount();
        state.balances = new uint256[](holders.length);
        state.claimable = new uint256[](holders.length);
        for (uint256 i = 0; i < holders.length; ++i) {
            state.balances[i] = token.balanceOf(holders[i]);
        }
        if (address(distributor) != address(0)) {
            state.deposited = distributor.totalDeposited(address(token));
            state.claimed = distributor.totalClaimed(address(token));
            for (uint256 i = 0; i < holders.length; ++i) {
                state.claimable[i] = distributor.claimable(address(token), holders[i]);
            }
        }
    }

    /// @notice Balances of `holders` in each of `tokens` (row per token).
    function balancesOf(IERC20[] calldata tokens, address[] calldata holders)
        external
        view
        returns (uint256[][] memory balances)
    {
        balances = new uint256[][](tokens.length);
        for (uint256 t = 0; t < tokens.length; ++t) {
            balances[t] = new uint256[](holders.length);
            for (uint256 i = 0; i < holders.length; ++i) {
                balances[t][i] = tokens[t].balanceOf(holders[i]);
            }
        }
    }

    /// @notice settled(id, seq) for each trade id and its sequence number, filled(order) for each order.
    function exchangeState(
        ISettlementExchange exchange,
        bytes32[] calldata tradeIds,
        uint256[] calldata seqs,
        ISettlementExchange.Order[] calldata orders
    ) external view returns (bool[] memory settled, uint256[] memory filled) {
        settled = new bool[](tradeIds.length);
        for (uint256 i = 0; i < tradeIds.length; ++i) {
            settled[i] = exchange.settled(tradeIds[i], seqs[i]);
        }
        filled = new uint256[](orders.length);
        for (uint256 i = 0; i < orders.length; ++i) {
            filled[i] = exchange.filled(orders[i]);
        }
    }
}
