// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IRevenueDistributor} from "../interfaces/IRevenueDistributor.sol";
import {IAssetToken} from "../interfaces/IAssetToken.sol";
import {IIdentityRegistry} from "../interfaces/IIdentityRegistry.sol";

/// @title RevenueDistributor
/// @notice Pays asset holders their pro-rata share of deposited revenue (oil royalties, harvest
///         revenue, dividends) in cash, with cumulative revenue-per-token accounting: no snapshots
///         and no loops over holders.
/// @dev Per asset, `revenuePerToken` grows by amount * 1e36 / totalSupply on each deposit. Each
///      holder keeps a checkpoint (the index it was last settled at) and its accrued cash; the
///      asset token calls `beforeBalanceChange(from, to)` before every balance change, so a
///      holder's accrual always uses the balance it held over the period. Both steps round down,
///      so the cash claimable by all holders together never exceeds the deposits.
contract RevenueDistributor is AccessControl, ReentrancyGuard, IRevenueDistributor {
    using SafeERC20 for IERC20;

    bytes32 public constant ASSET_REGISTRAR_ROLE = keccak256("ASSET_REGISTRAR_ROLE");

    /// @dev Decimal magnification: with 18-decimal supplies in whole or decimal-fraction token
    ///      amounts, amount * 1e36 / supply is exact, so round shares pay out exactly.
    uint256 private constant _MAGNITUDE = 1e36;
    /// @dev AssetToken.ISSUER_ROLE: who may pay revenue into an asset (its issuer, with its own cash).
    bytes32 private constant _ISSUER_ROLE = keccak256("ISSUER_ROLE");

    struct AssetState {
        bool registered;
        uint256 revenuePerToken; // magnified by 1e36
        uint256 deposited;
        uint256 claimed;
    }

    struct HolderState {
        uint256 checkpoint; // revenuePerToken at the last settlement
        uint256 accrued; // settled but unclaimed cash
    }

    IERC20 private immutable _cash;
    uint256 private _distributionCount;
    mapping(address asset => AssetState) private _assets;
    mapping(address asset => mapping(address holder => HolderState)) private _holders;

    /// @param cash The payment token.
    /// @param admin Receives DEFAULT_ADMIN_ROLE (grants ASSET_REGISTRAR_ROLE).
    constructor(IERC20 cash, address admin) {
        if (address(cash) == address(0) || admin == address(0)) revert RevenueDistributorZeroAddress();
        _cash = cash;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IRevenueDistributor
    function registerAsset(address asset) external onlyRole(ASSET_REGISTRAR_ROLE) {
        if (asset == address(0)) revert RevenueDistributorZeroAddress();
        AssetState storage state = _assets[asset];
        if (state.registered) revert RevenueDistributorAssetAlreadyRegistered(asset);
        state.registered = true;
        emit AssetRegistered(asset);
    }

    /// @inheritdoc IRevenueDistributor
    /// @dev Holders are whoever holds `asset` at deposit time, pro rata to totalSupply. Only the
    ///      asset's issuer (ISSUER_ROLE on the token) deposits, and the cash comes from its own
    ///      wallet: nobody else's balance can fund a distribution, and an issuer distributes
    ///      exactly what it paid in.
    function deposit(address asset, uint256 amount, string calldata memo) external nonReentrant {
        AssetState storage state = _assets[asset];
        if (!state.registered) revert RevenueDistributorUnknownAsset(asset);
        if (!IAccessControl(asset).hasRole(_ISSUER_ROLE, msg.sender)) {
            revert RevenueDistributorNotIssuer(asset, msg.sender);
        }
        if (amount == 0) revert RevenueDistributorZeroAmount();
        uint256 supply = IERC20(asset).totalSupply();
        if (supply == 0) revert RevenueDistributorNoSupply(asset);

        _cash.safeTransferFrom(msg.sender, address(this), amount);
        state.revenuePerToken += Math.mulDiv(amount, _MAGNITUDE, supply);
        state.deposited += amount;
        uint256 distributionId = ++_distributionCount;
        emit RevenueDeposited(asset, distributionId, amount, memo);
    }

    /// @inheritdoc IRevenueDistributor
    /// @dev A registered asset is an AssetToken (only the factory registers): a holder whose
    ///      wallet it freezes, or whom the identity registry no longer lists, cannot claim; the
    ///      accrual stays (a recovery moves it to the new wallet, an unfreeze releases it).
    function claim(address asset) external nonReentrant returns (uint256 amount) {
        AssetState storage state = _assets[asset];
        if (state.registered) {
            IAssetToken token = IAssetToken(asset);
            if (token.isFrozen(msg.sender)) revert RevenueDistributorHolderFrozen(asset, msg.sender);
            if (!IIdentityRegistry(token.identityRegistry()).investorOf(msg.sender).registered) {
                revert RevenueDistributorHolderNotRegistered(msg.sender);
            }
            _settle(asset, state.revenuePerToken, msg.sender);
        }
        HolderState storage holder = _holders[asset][msg.sender];
        amount = holder.accrued;
        if (amount == 0) revert RevenueDistributorNothingToClaim(msg.sender);
        holder.accrued = 0;
        state.claimed += amount;
        _cash.safeTransfer(msg.sender, amount);
        emit RevenueClaimed(asset, msg.sender, amount);
    }

    /// @inheritdoc IRevenueDistributor
    function beforeBalanceChange(address from, address to) external {
        AssetState storage state = _assets[msg.sender];
        if (!state.registered) revert RevenueDistributorOnlyAsset(msg.sender);
        uint256 revenuePerToken = state.revenuePerToken;
        if (revenuePerToken == 0) return; // nothing deposited yet: nothing to settle
        if (from != address(0)) _settle(msg.sender, revenuePerToken, from);
        if (to != address(0) && to != from) _settle(msg.sender, revenuePerToken, to);
    }

    /// @inheritdoc IRevenueDistributor
    function walletRecovered(address lostWallet, address newWallet) external {
        AssetState storage state = _assets[msg.sender];
        if (!state.registered) revert RevenueDistributorOnlyAsset(msg.sender);
        uint256 revenuePerToken = state.revenuePerToken;
        _settle(msg.sender, revenuePerToken, lostWallet);
        _settle(msg.sender, revenuePerToken, newWallet);
        HolderState storage lost = _holders[msg.sender][lostWallet];
        uint256 amount = lost.accrued;
        if (amount == 0) return;
        lost.accrued = 0;
        _holders[msg.sender][newWallet].accrued += amount;
        emit AccruedRevenueMoved(msg.sender, lostWallet, newWallet, amount);
    }

    /// @inheritdoc IRevenueDistributor
    function claimable(address asset, address holder) external view returns (uint256) {
        HolderState storage state = _holders[asset][holder];
        uint256 revenuePerToken = _assets[asset].revenuePerToken;
        if (revenuePerToken == state.checkpoint) return state.accrued;
        return state.accrued
            + Math.mulDiv(IERC20(asset).balanceOf(holder), revenuePerToken - state.checkpoint, _MAGNITUDE);
    }

    /// @inheritdoc IRevenueDistributor
    function cashToken() external view returns (address) {
        return address(_cash);
    }

    /// @inheritdoc IRevenueDistributor
    function isRegisteredAsset(address asset) external view returns (bool) {
        return _assets[asset].registered;
    }

    /// @inheritdoc IRevenueDistributor
    function distributionCount() external view returns (uint256) {
        return _distributionCount;
    }

    /// @inheritdoc IRevenueDistributor
    function totalDeposited(address asset) external view returns (uint256) {
        return _assets[asset].deposited;
    }

    /// @inheritdoc IRevenueDistributor
    function totalClaimed(address asset) external view returns (uint256) {
        return _assets[asset].claimed;
    }

    /// @dev Credit `holder` for its current balance since its checkpoint, rounding down.
    function _settle(address asset, uint256 revenuePerToken, address holder) private {
        HolderState storage state = _holders[asset][holder];
        uint256 checkpoint = state.checkpoint;
        if (checkpoint == revenuePerToken) return;
        uint256 balance = IERC20(asset).balanceOf(holder);
        if (balance != 0) state.accrued += Math.mulDiv(balance, revenuePerToken - checkpoint, _MAGNITUDE);
        state.checkpoint = revenuePerToken;
    }
}
