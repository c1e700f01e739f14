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

    error RevenueDistributorNoSupply(address asset);
    error RevenueDistributorOnlyAsset(address caller);
    error RevenueDistributorNothingToClaim(address holder);

    /// @notice Pull `amount` cash from the caller and distribute it to `asset` holders (DEPOSITOR_ROLE).
    function deposit(address asset, uint256 amount, string calldata memo) external;
    /// @notice Pay the caller its accrued share for `asset`.
    function claim(address asset) external returns (uint256);
    function claimable(address asset, address holder) external view returns (uint256);
    function beforeBalanceChange(address from, address to) external;
    function cashToken() external view returns (address);
}
