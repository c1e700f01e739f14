// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IAssetToken} from "./IAssetToken.sol";

/// @title IAssetFactory
/// @notice Deploys an AssetToken and its ComplianceRules in one call (DEPLOYER_ROLE).
///         The caller receives DEFAULT_ADMIN_ROLE, AGENT_ROLE and RULES_ADMIN_ROLE on the new
///         pair; `issuer` receives ISSUER_ROLE (documents) on the token.
interface IAssetFactory {
    event AssetCreated(
        address indexed token,
        address indexed rules,
        string symbol,
        IAssetToken.AssetClass assetClass,
        address indexed issuer
    );

    error AssetFactorySymbolTaken(string symbol);
    error AssetFactoryZeroAddress();

    /// @notice Deploy a token and its rule set, bind them, register the token with the
    ///         distributor and index it by symbol (DEPLOYER_ROLE). `supplyCap` (nonzero, token
    ///         units) bounds every mint of the token for ever.
    function createAsset(
        string calldata name,
        string calldata symbol,
        IAssetToken.AssetClass assetClass,
        string calldata termsURI,
        address issuer,
        uint256 supplyCap
    ) external returns (address token, address rules);

    /// @notice The token created under `symbol` (zero when none).
    function tokenBySymbol(string calldata symbol) external view returns (address);
    /// @notice Every token created, in creation order.
    function allTokens() external view returns (address[] memory);
    /// @notice The IdentityRegistry every created token uses.
    function identityRegistry() external view returns (address);
    /// @notice The RevenueDistributor every created token notifies (zero when none).
    function revenueDistributor() external view returns (address);
}
