// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ISettlementExchange} from "../interfaces/ISettlementExchange.sol";

/// @title ReentrantAsset
/// @notice Test-only asset whose transferFrom tries to re-enter the exchange (settle and
///         executeTransfers) before moving tokens, recording how the exchange refused.
contract ReentrantAsset is ERC20 {
    ISettlementExchange private immutable _target;
    bytes public settleRevertData;
    bytes public executeRevertData;
    bool public reentered;

    constructor(ISettlementExchange target) ERC20("Reentrant asset", "REENT") {
        _target = target;
    }

    /// @notice Mint freely (test only).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Attempt both re-entries, then transfer normally.
    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        try _target.settle("") {
            reentered = true;
        } catch (bytes memory reason) {
            settleRevertData = reason;
        }
        try _target.executeTransfers(address(this), from, to, value, 0) {
            reentered = true;
        } catch (bytes memory reason) {
            executeRevertData = reason;
        }
        return super.transferFrom(from, to, value);
    }
}
