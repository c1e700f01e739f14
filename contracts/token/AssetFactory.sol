// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IAssetFactory} from "../interfaces/IAssetFactory.sol";
import {IAssetToken} from "../interfaces/IAssetToken.sol";
import {IComplianceRules} from "../interfaces/IComplianceRules.sol";
import {IIdentityRegistry} from "../interfaces/IIdentityRegistry.sol";
import {IRevenueDistributor} from "../interfaces/IRevenueDistributor.sol";
import {AssetToken} from "./AssetToken.sol";
import {AssetTokenDeployer} from "./AssetTokenDeployer.sol";
import {ComplianceRulesDeployer} from "../compliance/ComplianceRulesDeployer.sol";

/// @title AssetFactory
/// @notice Creates an AssetToken and its ComplianceRules in one call (DEPLOYER_ROLE), binds the
///         rules to the token, registers the token with the RevenueDistributor and indexes it by
///         symbol. Creation code lives in two small deployer contracts (EIP-170 size limit).
/// @dev Needs ASSET_REGISTRAR_ROLE on the distributor (granted by the deployment script).
contract AssetFactory is AccessControl, IAssetFactory {
    bytes32 public constant DEPLOYER_ROLE = keccak256("DEPLOYER_ROLE");

    IIdentityRegistry private immutable _registry;
    IRevenueDistributor private immutable _distributor;
    AssetTokenDeployer private immutable _tokenDeployer;
    ComplianceRulesDeployer private immutable _rulesDeployer;

    mapping(bytes32 symbolHash => address) private _tokenBySymbol;
    address[] private _tokens;

    /// @param registry The IdentityRegistry every asset uses.
    /// @param distributor The RevenueDistributor every asset notifies (zero: none).
    /// @param tokenDeployer_ Holder of AssetToken's creation code.
    /// @param rulesDeployer_ Holder of ComplianceRules' creation code.
    /// @param admin Receives DEFAULT_ADMIN_ROLE (grants DEPLOYER_ROLE).
    constructor(
        IIdentityRegistry registry,
        IRevenueDistributor distributor,
        AssetTokenDeployer tokenDeployer_,
        ComplianceRulesDeployer rulesDeployer_,
        address admin
    ) {
        if (
            address(registry) == address(0) || address(tokenDeployer_) == address(0)
                || address(rulesDeployer_) == address(0) || admin == address(0)
        ) revert AssetFactoryZeroAddress();
        _registry = registry;
        _distributor = distributor;
        _tokenDeployer = tokenDeployer_;
        _rulesDeployer = rulesDeployer_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IAssetFactory
    function createAsset(
        string calldata name,
        string calldata symbol,
        IAssetToken.AssetClass assetClass,
        string calldata termsURI,
        address issuer,
        uint256 supplyCap
    ) external onlyRole(DEPLOYER_ROLE) returns (address token, address rules) {
        bytes32 symbolHash = keccak256(bytes(symbol));
        if (_tokenBySymbol[symbolHash] != address(0)) revert AssetFactorySymbolTaken(symbol);

        rules = _rulesDeployer.deploy(_registry, msg.sender, address(this));
        // assigned field by field: a struct literal of ten values does not fit the stack
        AssetToken.Config memory config;
        config.name = name;
        config.symbol = symbol;
        config.assetClass = assetClass;
        config.termsURI = termsURI;
        config.identityRegistry = _registry;
        config.complianceRules = IComplianceRules(rules);
        config.revenueDistributor = _distributor;
        config.admin = msg.sender;
        config.issuer = issuer;
        config.supplyCap = supplyCap;
        token = _tokenDeployer.deploy(config);
        IComplianceRules(rules).bindToken(token);
        if (address(_distributor) != address(0)) _distributor.registerAsset(token);

        _tokenBySymbol[symbolHash] = token;
        _tokens.push(token);
        emit AssetCreated(token, rules, symbol, assetClass, issuer);
    }

    /// @inheritdoc IAssetFactory
    function tokenBySymbol(string calldata symbol) external view returns (address) {
        return _tokenBySymbol[keccak256(bytes(symbol))];
    }

    /// @inheritdoc IAssetFactory
    function allTokens() external view returns (address[] memory) {
        return _tokens;
    }

    /// @inheritdoc IAssetFactory
    function identityRegistry() external view returns (address) {
        return address(_registry);
    }

    /// @inheritdoc IAssetFactory
    function revenueDistributor() external view returns (address) {
        return address(_distributor);
    }

    /// @notice The contract holding AssetToken's creation code.
    function tokenDeployer() external view returns (address) {
        return address(_tokenDeployer);
    }

    /// @notice The contract holding ComplianceRules' creation code.
    function rulesDeployer() external view returns (address) {
        return address(_rulesDeployer);
    }
}
