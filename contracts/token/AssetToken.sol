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
///         pause, force transfers and recover wallets, each with a reason code (AgentActionTaken),
///         never above the supply cap set at creation; issuers anchor disclosure documents
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
        uint256 supplyCap;
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
    uint256 private immutable _supplyCap;
    string private _termsURI;

    bool private _paused;
    mapping(address wallet => bool) private _walletFrozen;
    mapping(address wallet => uint256) private _frozenTokens;

    mapping(bytes32 name => Document) private _documents;
    bytes32[] private _documentNames;
    mapping(bytes32 name => uint256) private _documentPosition; // index + 1; 0 = absent

    uint8 private constant _NO_REASON = 0;
    uint8 private constant _MAX_REASON = 7; // market_integrity, the last of the vocabulary

    /// @dev A reason code from the vocabulary (1..7) for the overloads that take one.
    modifier validReason(uint8 reasonCode) {
        if (reasonCode == _NO_REASON || reasonCode > _MAX_REASON) revert AssetTokenInvalidReason(reasonCode);
        _;
    }

    modifier onlyDocumentWriter() {
        if (!hasRole(ISSUER_ROLE, msg.sender) && !hasRole(AGENT_ROLE, msg.sender)) {
            revert AccessControlUnauthorizedAccount(msg.sender, ISSUER_ROLE);
        }
        _;
    }

    /// @param config Name, symbol, class, terms, registry, rules, distributor (may be zero),
    ///        admin (DEFAULT_ADMIN_ROLE + AGENT_ROLE), issuer (ISSUER_ROLE, may be zero) and the
    ///        supply cap (nonzero).
    constructor(Config memory config) ERC20(config.name, config.symbol) {
        if (
            address(config.identityRegistry) == address(0) || address(config.complianceRules) == address(0)
                || config.admin == address(0)
        ) revert AssetTokenZeroAddress();
        if (config.supplyCap == 0) revert AssetTokenZeroSupplyCap();
        _supplyCap = config.supplyCap;
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
        _agentMint(to, amount, _NO_REASON);
    }

    /// @inheritdoc IAssetToken
    function mint(address to, uint256 amount, uint8 reasonCode)
        external
        onlyRole(AGENT_ROLE)
        validReason(reasonCode)
    {
        _agentMint(to, amount, reasonCode);
    }

    /// @inheritdoc IAssetToken
    function burn(address from, uint256 amount) external onlyRole(AGENT_ROLE) {
        _agentBurn(from, amount, _NO_REASON);
    }

    /// @inheritdoc IAssetToken
    function burn(address from, uint256 amount, uint8 reasonCode)
        external
        onlyRole(AGENT_ROLE)
        validReason(reasonCode)
    {
        _agentBurn(from, amount, reasonCode);
    }

    /// @inheritdoc IAssetToken
    function setWalletFrozen(address wallet, bool frozen) external onlyRole(AGENT_ROLE) {
        _agentSetWalletFrozen(wallet, frozen, _NO_REASON);
    }

    /// @inheritdoc IAssetToken
    function setWalletFrozen(address wallet, bool frozen, uint8 reasonCode)
        external
        onlyRole(AGENT_ROLE)
        validReason(reasonCode)
    {
        _agentSetWalletFrozen(wallet, frozen, reasonCode);
    }

    /// @inheritdoc IAssetToken
    function freezePartialTokens(address wallet, uint256 amount) external onlyRole(AGENT_ROLE) {
        _agentFreezeTokens(wallet, amount, _NO_REASON);
    }

    /// @inheritdoc IAssetToken
    function freezePartialTokens(address wallet, uint256 amount, uint8 reasonCode)
        external
        onlyRole(AGENT_ROLE)
        validReason(reasonCode)
    {
        _agentFreezeTokens(wallet, amount, reasonCode);
    }

    /// @inheritdoc IAssetToken
    function unfreezePartialTokens(address wallet, uint256 amount) external onlyRole(AGENT_ROLE) {
        _agentUnfreezeTokens(wallet, amount, _NO_REASON);
    }

    /// @inheritdoc IAssetToken
    function unfreezePartialTokens(address wallet, uint256 amount, uint8 reasonCode)
        external
        onlyRole(AGENT_ROLE)
        validReason(reasonCode)
    {
        _agentUnfreezeTokens(wallet, amount, reasonCode);
    }

    /// @inheritdoc IERC7943Fungible
    /// @dev AGENT_ROLE. Overwrites the frozen amount; it may exceed the balance (ERC-7943).
    function setFrozenTokens(address account, uint256 amount) external onlyRole(AGENT_ROLE) returns (bool) {
        _setFrozen(account, amount);
        _logAction(AgentAction.SET_FROZEN_TOKENS, account, address(0), amount, _NO_REASON, bytes32(0));
        return true;
    }

    /// @inheritdoc IAssetToken
    function pause() external onlyRole(AGENT_ROLE) {
        _agentSetPaused(true, _NO_REASON);
    }

    /// @inheritdoc IAssetToken
    function pause(uint8 reasonCode) external onlyRole(AGENT_ROLE) validReason(reasonCode) {
        _agentSetPaused(true, reasonCode);
    }

    /// @inheritdoc IAssetToken
    function unpause() external onlyRole(AGENT_ROLE) {
        _agentSetPaused(false, _NO_REASON);
    }

    /// @inheritdoc IAssetToken
    function unpause(uint8 reasonCode) external onlyRole(AGENT_ROLE) validReason(reasonCode) {
        _agentSetPaused(false, reasonCode);
    }

    /// @inheritdoc IAssetToken
    /// @dev Bypasses pause, freezes, lock-up and caps; `to` must pass the receiver rules.
    ///      Frozen tokens beyond `from`'s remaining balance are unfrozen first (ERC-7943).
    function forcedTransfer(address from, address to, uint256 amount)
        external
        override
        onlyRole(AGENT_ROLE)
        returns (bool)
    {
        _agentForcedTransfer(from, to, amount, _NO_REASON, bytes32(0));
        return true;
    }

    /// @inheritdoc IAssetToken
    function forcedTransfer(address from, address to, uint256 amount, uint8 reasonCode, bytes32 documentHash)
        external
        onlyRole(AGENT_ROLE)
        validReason(reasonCode)
        returns (bool)
    {
        _agentForcedTransfer(from, to, amount, reasonCode, documentHash);
        return true;
    }

    /// @inheritdoc IAssetToken
    function recoverWallet(address lostWallet, address newWallet) external onlyRole(AGENT_ROLE) {
        _agentRecoverWallet(lostWallet, newWallet, _NO_REASON, bytes32(0));
    }

    /// @inheritdoc IAssetToken
    function recoverWallet(address lostWallet, address newWallet, uint8 reasonCode, bytes32 documentHash)
        external
        onlyRole(AGENT_ROLE)
        validReason(reasonCode)
    {
        _agentRecoverWallet(lostWallet, newWallet, reasonCode, documentHash);
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
    function supplyCap() external view returns (uint256) {
        return _supplyCap;
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

    function _agentMint(address to, uint256 amount, uint8 reasonCode) internal {
        if (to == address(0)) revert AssetTokenZeroAddress();
        uint256 supply = totalSupply();
        // written as a subtraction (supply <= cap always) so a huge amount cannot overflow
        if (amount > _supplyCap - supply) revert AssetTokenSupplyCapExceeded(_supplyCap, supply, amount);
        _checkRestriction(address(0), to, amount);
        _mint(to, amount);
        _logAction(AgentAction.MINT, to, address(0), amount, reasonCode, bytes32(0));
    }

    function _agentBurn(address from, uint256 amount, uint8 reasonCode) internal {
        _releaseFrozenFor(from, amount);
        _burn(from, amount);
        _logAction(AgentAction.BURN, from, address(0), amount, reasonCode, bytes32(0));
    }

    function _agentSetWalletFrozen(address wallet, bool frozen, uint8 reasonCode) internal {
        _walletFrozen[wallet] = frozen;
        emit WalletFrozen(wallet, frozen);
        _logAction(
            frozen ? AgentAction.FREEZE_WALLET : AgentAction.UNFREEZE_WALLET, wallet, address(0), 0, reasonCode, bytes32(0)
        );
    }

    function _agentFreezeTokens(address wallet, uint256 amount, uint8 reasonCode) internal {
        uint256 frozen = _frozenTokens[wallet];
        uint256 available = _unfrozenBalance(wallet, frozen);
        if (amount > available) revert AssetTokenInsufficientUnfrozen(wallet, amount, available);
        _setFrozen(wallet, frozen + amount);
        _logAction(AgentAction.FREEZE_TOKENS, wallet, address(0), amount, reasonCode, bytes32(0));
    }

    function _agentUnfreezeTokens(address wallet, uint256 amount, uint8 reasonCode) internal {
        uint256 frozen = _frozenTokens[wallet];
        if (amount > frozen) revert AssetTokenInsufficientFrozen(wallet, amount, frozen);
        _setFrozen(wallet, frozen - amount);
        _logAction(AgentAction.UNFREEZE_TOKENS, wallet, address(0), amount, reasonCode, bytes32(0));
    }

    function _agentSetPaused(bool paused_, uint8 reasonCode) internal {
        _paused = paused_;
        if (paused_) emit Paused(msg.sender);
        else emit Unpaused(msg.sender);
        _logAction(paused_ ? AgentAction.PAUSE : AgentAction.UNPAUSE, address(0), address(0), 0, reasonCode, bytes32(0));
    }

    /// @dev The receiver must pass the asset's own receiver rules (registered, KYC current,
    ///      country, accreditation); pause, freezes, lock-up and caps do not apply.
    function _agentForcedTransfer(address from, address to, uint256 amount, uint8 reasonCode, bytes32 documentHash)
        internal
    {
        if (to == address(0)) revert AssetTokenZeroAddress();
        _checkReceiver(to);
        if (from != to) _releaseFrozenFor(from, amount);
        _transfer(from, to, amount);
        emit ForcedTransfer(from, to, amount);
        _logAction(AgentAction.FORCED_TRANSFER, from, to, amount, reasonCode, documentHash);
    }

    /// @dev The new wallet must pass the receiver rules. Moves the whole balance (locked tokens
    ///      keep their release time: ComplianceRules.transferred), the partially frozen amount,
    ///      the whole-wallet freeze flag and the revenue accrued in the distributor.
    function _agentRecoverWallet(address lostWallet, address newWallet, uint8 reasonCode, bytes32 documentHash)
        internal
    {
        if (lostWallet == address(0) || newWallet == address(0)) revert AssetTokenZeroAddress();
        _checkReceiver(newWallet);
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
        IRevenueDistributor distributor = _distributor;
        if (address(distributor) != address(0)) distributor.walletRecovered(lostWallet, newWallet);
        emit WalletRecovered(lostWallet, newWallet, amount);
        _logAction(AgentAction.RECOVERY, lostWallet, newWallet, amount, reasonCode, documentHash);
    }

    function _logAction(
        AgentAction action,
        address wallet,
        address counterparty,
        uint256 amount,
        uint8 reasonCode,
        bytes32 documentHash
    ) internal {
        emit AgentActionTaken(msg.sender, action, wallet, counterparty, amount, reasonCode, documentHash);
    }

    function _checkReceiver(address wallet) internal view {
        uint8 code = _rules.receiverRestriction(wallet);
        if (code != 0) revert AssetTokenTransferRestricted(code);
    }

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
