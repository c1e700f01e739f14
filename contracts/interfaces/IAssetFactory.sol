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

    function createAsset(
        string calldata name,
        string calldata symbol,
        IAssetToken.AssetClass assetClass,
        string calldata termsURI,
        address issuer
    ) external returns (address token, address rules);

    function tokenBySymbol(string calldata symbol) external view returns (address);
    function allTokens() external view returns (address[] memory);
    function identityRegistry() external view returns (address);
}
