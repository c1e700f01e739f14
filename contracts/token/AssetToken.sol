// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IAssetToken} from "../interfaces/IAssetToken.sol";
import {IERC7943Fungible} from "../interfaces/IERC7943.sol";
import {IComplianceRules} from "../interfaces/IComplianceRules.sol";
import {IIdentityRegistry} from "../interfaces/IIdentityRegistry.sol";
import {IRevenueDistributor} from "../interfaces/IRevenueDistributor.sol";

/// @title AssetToken
/// @notice Permissioned ERC-20 (18 decimals) representing one real-world asset: company shares,
///         an oil-well royalty claim or a farm revenue claim. Holder transfers pass the asset's
///         ComplianceRules or revert AssetTokenTransferRestricted(code); agents mint, burn, freeze,
///         pause, force transfers and recover wallets; issuers anchor disclosure documents
///         (ERC-1643). Implements ERC-7943 (uRWA, fungible) and ERC-165.
/// @dev Every balance change runs, in order: distributor.beforeBalanceChange(from, to) (when a
///      distributor is set), the ERC-20 balance update, rules.transferred(from, to, amount,
///      balances after). Restrictions are evaluated by the rules against the token's state,
///      which the token passes in (one call per check instead of six back into the token).
contract AssetToken is ERC20, AccessControl, IAssetToken {
    bytes32 public constant AGENT_ROLE = keccak256("AGENT_ROLE");
    bytes32 public constant ISSUER_ROLE = keccak256("ISSUER_ROLE");

    /// @notice Constructor arguments (a struct keeps the deployers' stacks small).
    struct Config {
        string name;
        string symbol;
        AssetClass assetClass;
        string termsURI;
        IIdentityRegistry identityRegistry;
        IComplianceRules complianceRules;
        IRevenueDistributor revenueDistributor;
        address admin;
        address issuer;
    }

    struct Document {
        string uri;
        bytes32 documentHash;
        uint256 lastModified;
    }

    IIdentityRegistry private immutable _registry;
    IComplianceRules private immutable _rules;
    IRevenueDistributor private immutable _distributor;
    AssetClass private immutable _assetClass;
    string private _termsURI;

    bool private _paused;
    mapping(address wallet => bool) private _walletFrozen;
    mapping(address wallet => uint256) private _frozenTokens;

    mapping(bytes32 name => Document) private _documents;
    bytes32[] private _documentNames;
    mapping(bytes32 name => uint256) private _documentPosition; // index + 1; 0 = absent

    modifier onlyDocumentWriter() {
        if (!hasRole(ISSUER_ROLE, msg.sender) && !hasRole(AGENT_ROLE, msg.sender)) {
            revert AccessControlUnauthorizedAccount(msg.sender, ISSUER_ROLE);
        }
        _;
    }

    /// @param config Name, symbol, class, terms, registry, rules, distributor (may be zero),
    ///        admin (DEFAULT_ADMIN_ROLE + AGENT_ROLE) and issuer (ISSUER_ROLE, may be zero).
    constructor(Config memory config) ERC20(config.name, config.symbol) {
        if (
            address(config.identityRegistry) == address(0) || address(config.complianceRules) == address(0)
                || config.admin == address(0)
        ) revert AssetTokenZeroAddress();
        _registry = config.identityRegistry;
        _rules = config.complianceRules;
        _distributor = config.revenueDistributor;
        _assetClass = config.assetClass;
        _termsURI = config.termsURI;
        _grantRole(DEFAULT_ADMIN_ROLE, config.admin);
        _grantRole(AGENT_ROLE, config.admin);
        if (config.issuer != address(0)) _grantRole(ISSUER_ROLE, config.issuer);
    }

    // ------------------------------------------------------------------ ERC-20 transfers

    /// @notice ERC-20 transfer; reverts AssetTokenTransferRestricted(code) when the rules object.
    function transfer(address to, uint256 value) public override returns (bool) {
        _checkRestriction(msg.sender, to, value);
        return super.transfer(to, value);
    }

    /// @notice ERC-20 transferFrom; the rules apply to `from` -> `to` whoever the spender is.
    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        _checkRestriction(from, to, value);
        return super.transferFrom(from, to, value);
    }

    // ------------------------------------------------------------------ agent actions

    /// @inheritdoc IAssetToken
    function mint(address to, uint256 amount) external onlyRole(AGENT_ROLE) {
        if (to == address(0)) revert AssetTokenZeroAddress();
        _checkRestriction(address(0), to, amount);
        _mint(to, amount);
    }

    /// @inheritdoc IAssetToken
    function burn(address from, uint256 amount) external onlyRole(AGENT_ROLE) {
        _releaseFrozenFor(from, amount);
        _burn(from, amount);
    }

    /// @inheritdoc IAssetToken
    function setWalletFrozen(address wallet, bool frozen) external onlyRole(AGENT_ROLE) {
        _walletFrozen[wallet] = frozen;
        emit WalletFrozen(wallet, frozen);
    }

    /// @inheritdoc IAssetToken
    function freezePartialTokens(address wallet, uint256 amount) external onlyRole(AGENT_ROLE) {
        uint256 frozen = _frozenTokens[wallet];
        uint256 available = _unfrozenBalance(wallet, frozen);
        if (amount > available) revert AssetTokenInsufficientUnfrozen(wallet, amount, available);
        _setFrozen(wallet, frozen + amount);
    }

    /// @inheritdoc IAssetToken
    function unfreezePartialTokens(address wallet, uint256 amount) external onlyRole(AGENT_ROLE) {
        uint256 frozen = _frozenTokens[wallet];
        if (amount > frozen) revert AssetTokenInsufficientFrozen(wallet, amount, frozen);
        _setFrozen(wallet, frozen - amount);
    }

    /// @inheritdoc IERC7943Fungible
    /// @dev AGENT_ROLE. Overwrites the frozen amount; it may exceed the balance (ERC-7943).
    function setFrozenTokens(address account, uint256 amount) external onlyRole(AGENT_ROLE) returns (bool) {
        _setFrozen(account, amount);
        return true;
    }

    /// @inheritdoc IAssetToken
    function pause() external onlyRole(AGENT_ROLE) {
        _paused = true;
        emit Paused(msg.sender);
    }

    /// @inheritdoc IAssetToken
    function unpause() external onlyRole(AGENT_ROLE) {
        _paused = false;
        emit Unpaused(msg.sender);
    }

    /// @inheritdoc IAssetToken
    /// @dev Bypasses pause, freezes, lock-up and caps; `to` must be verified in the registry.
    ///      Frozen tokens beyond `from`'s remaining balance are unfrozen first (ERC-7943).
    function forcedTransfer(address from, address to, uint256 amount)
        external
        override
        onlyRole(AGENT_ROLE)
        returns (bool)
    {
        if (to == address(0)) revert AssetTokenZeroAddress();
        if (!_registry.isVerified(to)) revert AssetTokenReceiverNotVerified(to);
        if (from != to) _releaseFrozenFor(from, amount);
        _transfer(from, to, amount);
        emit ForcedTransfer(from, to, amount);
        return true;
    }

    /// @inheritdoc IAssetToken
    /// @dev The new wallet must be verified. Moves the whole balance, the partially frozen amount
    ///      and the whole-wallet freeze flag.
    function recoverWallet(address lostWallet, address newWallet) external onlyRole(AGENT_ROLE) {
        if (lostWallet == address(0) || newWallet == address(0)) revert AssetTokenZeroAddress();
        if (!_registry.isVerified(newWallet)) revert AssetTokenReceiverNotVerified(newWallet);
        uint256 amount = balanceOf(lostWallet);
        uint256 frozenAmount = _frozenTokens[lostWallet];
        bool walletFrozen = _walletFrozen[lostWallet];

        if (frozenAmount != 0) _setFrozen(lostWallet, 0);
        if (walletFrozen) {
            _walletFrozen[lostWallet] = false;
            emit WalletFrozen(lostWallet, false);
        }
        if (amount != 0) _transfer(lostWallet, newWallet, amount);
        if (frozenAmount != 0) _setFrozen(newWallet, _frozenTokens[newWallet] + frozenAmount);
        if (walletFrozen && !_walletFrozen[newWallet]) {
            _walletFrozen[newWallet] = true;
            emit WalletFrozen(newWallet, true);
        }
        emit WalletRecovered(lostWallet, newWallet, amount);
    }

    // ------------------------------------------------------------------ ERC-1643 documents

    /// @inheritdoc IAssetToken
    function setDocument(bytes32 name, string calldata uri, bytes32 documentHash) external onlyDocumentWriter {
        if (name == bytes32(0) || bytes(uri).length == 0) revert AssetTokenInvalidDocument(name);
        if (_documentPosition[name] == 0) {
            _documentNames.push(name);
            _documentPosition[name] = _documentNames.length;
        }
        _documents[name] = Document({uri: uri, documentHash: documentHash, lastModified: block.timestamp});
        emit DocumentUpdated(name, uri, documentHash);
    }

    /// @inheritdoc IAssetToken
    function removeDocument(bytes32 name) external onlyDocumentWriter {
        uint256 position = _documentPosition[name];
        if (position == 0) revert AssetTokenDocumentNotFound(name);
        uint256 last = _documentNames.length;
        if (position != last) {
            bytes32 moved = _documentNames[last - 1];
            _documentNames[position - 1] = moved;
            _documentPosition[moved] = position;
        }
        _documentNames.pop();
        delete _documentPosition[name];
        Document memory removed = _documents[name];
        delete _documents[name];
        emit DocumentRemoved(name, removed.uri, removed.documentHash);
    }

    /// @inheritdoc IAssetToken
    function getDocument(bytes32 name)
        external
        view
        returns (string memory uri, bytes32 documentHash, uint256 lastModified)
    {
        Document storage document = _documents[name];
        return (document.uri, document.documentHash, document.lastModified);
    }

    /// @inheritdoc IAssetToken
    function getAllDocuments() external view returns (bytes32[] memory) {
        return _documentNames;
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IAssetToken
    function identityRegistry() external view returns (address) {
        return address(_registry);
    }

    /// @inheritdoc IAssetToken
    function complianceRules() external view returns (address) {
        return address(_rules);
    }

    /// @inheritdoc IAssetToken
    function revenueDistributor() external view returns (address) {
        return address(_distributor);
    }

    /// @inheritdoc IAssetToken
    function assetClass() external view returns (AssetClass) {
        return _assetClass;
    }

    /// @inheritdoc IAssetToken
    function termsURI() external view returns (string memory) {
        return _termsURI;
    }

    /// @inheritdoc IAssetToken
    function isFrozen(address wallet) external view returns (bool) {
        return _walletFrozen[wallet];
    }

    /// @inheritdoc IAssetToken
    function frozenTokens(address wallet) external view returns (uint256) {
        return _frozenTokens[wallet];
    }

    /// @inheritdoc IERC7943Fungible
    function getFrozenTokens(address account) external view returns (uint256) {
        return _frozenTokens[account];
    }

    /// @inheritdoc IAssetToken
    function paused() external view returns (bool) {
        return _paused;
    }

    /// @inheritdoc IAssetToken
    function detectTransferRestriction(address from, address to, uint256 amount) public view returns (uint8) {
        IComplianceRules.TokenState memory state = IComplianceRules.TokenState({
            paused: _paused,
            fromFrozen: _walletFrozen[from],
            toFrozen: _walletFrozen[to],
            fromBalance: balanceOf(from),
            fromFrozenTokens: _frozenTokens[from],
            toBalance: balanceOf(to)
        });
        return _rules.detectTransferRestrictionWith(from, to, amount, state);
    }

    /// @inheritdoc IAssetToken
    function messageForTransferRestriction(uint8 code) external view returns (string memory) {
        return _rules.messageForTransferRestriction(code);
    }

    /// @inheritdoc IERC7943Fungible
    /// @dev Verified in the registry and the wallet not frozen.
    function canSend(address account) external view returns (bool) {
        return !_walletFrozen[account] && _registry.isVerified(account);
    }

    /// @inheritdoc IERC7943Fungible
    /// @dev Not frozen, and registered, KYC current, country allowed, accredited when required.
    function canReceive(address account) external view returns (bool) {
        return !_walletFrozen[account] && _rules.isEligibleReceiver(account);
    }

    /// @inheritdoc IERC7943Fungible
    /// @dev True exactly when detectTransferRestriction returns 0 (includes the unfrozen-balance check).
    function canTransfer(address from, address to, uint256 amount) external view returns (bool) {
        return detectTransferRestriction(from, to, amount) == 0;
    }

    /// @notice ERC-165: ERC-7943 fungible (0x3edbb4c4), IAssetToken, AccessControl, ERC-165.
    function supportsInterface(bytes4 interfaceId)
        public
        view
        override(AccessControl, IERC165)
        returns (bool)
    {
        return interfaceId == type(IERC7943Fungible).interfaceId || interfaceId == type(IAssetToken).interfaceId
            || super.supportsInterface(interfaceId);
    }

    // ------------------------------------------------------------------ internal

    /// @dev Notify the distributor before and the rules after every balance change.
    function _update(address from, address to, uint256 value) internal override {
        IRevenueDistributor distributor = _distributor;
        if (address(distributor) != address(0)) distributor.beforeBalanceChange(from, to);
        super._update(from, to, value);
        _rules.transferred(from, to, value, balanceOf(from), balanceOf(to));
    }

    function _checkRestriction(address from, address to, uint256 amount) internal view {
        uint8 code = detectTransferRestriction(from, to, amount);
        if (code != 0) revert AssetTokenTransferRestricted(code);
    }

    /// @dev Before an agent debit of `amount`: cap the frozen amount at the balance left afterwards.
    function _releaseFrozenFor(address wallet, uint256 amount) internal {
        uint256 balance = balanceOf(wallet);
        if (amount > balance) return; // the debit itself reverts with ERC20InsufficientBalance
        uint256 remaining = balance - amount;
        if (_frozenTokens[wallet] > remaining) _setFrozen(wallet, remaining);
    }

    /// @dev Set the frozen amount: TokensFrozen/TokensUnfrozen for the delta, then Frozen (total).
    function _setFrozen(address wallet, uint256 amount) internal {
        uint256 previous = _frozenTokens[wallet];
        if (amount > previous) {
            _frozenTokens[wallet] = amount;
            emit TokensFrozen(wallet, amount - previous);
        } else if (amount < previous) {
            _frozenTokens[wallet] = amount;
            emit TokensUnfrozen(wallet, previous - amount);
        }
        emit Frozen(wallet, amount);
    }

    function _unfrozenBalance(address wallet, uint256 frozen) internal view returns (uint256) {
        uint256 balance = balanceOf(wallet);
        return balance > frozen ? balance - frozen : 0;
    }
}
