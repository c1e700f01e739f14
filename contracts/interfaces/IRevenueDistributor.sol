// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IRevenueDistributor
/// @notice Pro-rata revenue (royalties, harvest revenue, dividends) for asset holders,
///         with cumulative per-token accounting that stays correct across transfers.
/// @dev The asset token notifies the distributor before every balance change
///      (AssetToken calls `beforeBalanceChange(from, to)` when a distributor is set), so a
///      holder's accrued share is checkpointed without loops over holders.
interface IRevenueDistributor {
    event RevenueDeposited(address indexed asset, uint256 indexed distributionId, uint256 amount, string memo);
    event RevenueClaimed(address indexed asset, address indexed holder, uint256 amount);
    /// @notice Emitted when an asset token is allowed to report balance changes (ASSET_REGISTRAR_ROLE).
    event AssetRegistered(address indexed asset);
    /// @notice A wallet recovery moved `amount` of unclaimed revenue from the lost wallet to the new one.
    event AccruedRevenueMoved(address indexed asset, address indexed lostWallet, address indexed newWallet, uint256 amount);

    error RevenueDistributorNoSupply(address asset);
    error RevenueDistributorOnlyAsset(address caller);
    error RevenueDistributorNothingToClaim(address holder);
    /// @notice deposit for an asset that was never registered.
    error RevenueDistributorUnknownAsset(address asset);
    /// @notice registerAsset for an asset that is already registered.
    error RevenueDistributorAssetAlreadyRegistered(address asset);
    /// @notice deposit of zero cash.
    error RevenueDistributorZeroAmount();
    error RevenueDistributorZeroAddress();
    /// @notice deposit by someone who is not the asset's issuer (ISSUER_ROLE on the token).
    error RevenueDistributorNotIssuer(address asset, address caller);
    /// @notice claim by a wallet the asset has frozen (whole wallet).
    error RevenueDistributorHolderFrozen(address asset, address holder);
    /// @notice claim by a wallet the identity registry does not list (removed or never registered).
    error RevenueDistributorHolderNotRegistered(address holder);

    /// @notice Pull `amount` cash from the caller, the asset's issuer (ISSUER_ROLE on the token),
    ///         and distribute it to `asset` holders.
    function deposit(address asset, uint256 amount, string calldata memo) external;
    /// @notice Pay the caller its accrued share for `asset` (not while the asset freezes the
    ///         caller's wallet, nor once the identity registry no longer lists it).
    function claim(address asset) external returns (uint256);
    /// @notice Cash `holder` could claim for `asset` now.
    function claimable(address asset, address holder) external view returns (uint256);
    /// @notice Checkpoint `from` and `to` before the calling asset token changes their balances
    ///         (only registered assets; zero addresses are ignored).
    function beforeBalanceChange(address from, address to) external;
    /// @notice Move the revenue `lostWallet` accrued to `newWallet` (the calling registered asset
    ///         token, during its recoverWallet; both are checkpointed first).
    function walletRecovered(address lostWallet, address newWallet) external;
    /// @notice The payment token (CashToken).
    function cashToken() external view returns (address);

    /// @notice Allow `asset` to report balance changes and receive deposits (ASSET_REGISTRAR_ROLE,
    ///         granted to the AssetFactory).
    function registerAsset(address asset) external;
    /// @notice Whether `asset` is registered.
    function isRegisteredAsset(address asset) external view returns (bool);
    /// @notice Number of deposits so far (the last distributionId).
    function distributionCount() external view returns (uint256);
    /// @notice Total cash deposited for `asset`.
    function totalDeposited(address asset) external view returns (uint256);
    /// @notice Total cash claimed by holders of `asset`.
    function totalClaimed(address asset) external view returns (uint256);
}
