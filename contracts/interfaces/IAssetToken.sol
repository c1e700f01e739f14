// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC7943Fungible} from "./IERC7943.sol";

/// @title IAssetToken
/// @notice Permissioned ERC-20 (18 decimals) for one real-world asset, with ERC-1643 documents.
///         Every transfer and transferFrom passes the identity registry and the asset's
///         ComplianceRules or reverts with AssetTokenTransferRestricted(code).
/// @dev Also ERC-7943 (uRWA, fungible): `ForcedTransfer` and `Frozen` events, `forcedTransfer`,
///      `setFrozenTokens`, `getFrozenTokens`, `canSend`, `canReceive`, `canTransfer`, ERC-165.
///      `ForcedTransfer(from, to, amount)` is declared once, in IERC7943Fungible (same signature
///      and topic as before). `forcedTransfer` returns `bool` as ERC-7943 requires (same selector).
///      Every change of a wallet's frozen amount emits TokensFrozen/TokensUnfrozen (the delta)
///      followed by ERC-7943 Frozen (the new total).
///      Every agent action also emits AgentActionTaken with the agent (msg.sender), a reason
///      code and a document hash. Reason codes (a fixed vocabulary, docs/compliance.md):
///      0 none given (the reasonless signatures), 1 court_order, 2 lost_keys, 3 sanctions,
///      4 regulator_request, 5 error_correction, 6 corporate_action, 7 market_integrity.
///      The overloads that take a reason refuse 0 and anything above 7.
interface IAssetToken is IERC7943Fungible {
    enum AssetClass {
        EQUITY,
        OIL_WELL,
        FARM
    }

    /// @notice What an agent did (AgentActionTaken).
    enum AgentAction {
        MINT,
        BURN,
        FREEZE_WALLET,
        UNFREEZE_WALLET,
        FREEZE_TOKENS,
        UNFREEZE_TOKENS,
        SET_FROZEN_TOKENS,
        PAUSE,
        UNPAUSE,
        FORCED_TRANSFER,
        RECOVERY
    }

    // ERC-1643
    event DocumentUpdated(bytes32 indexed name, string uri, bytes32 documentHash);
    event DocumentRemoved(bytes32 indexed name, string uri, bytes32 documentHash);

    event WalletFrozen(address indexed wallet, bool frozen);
    event TokensFrozen(address indexed wallet, uint256 amount);
    event TokensUnfrozen(address indexed wallet, uint256 amount);
    event WalletRecovered(address indexed lostWallet, address indexed newWallet, uint256 amount);
    /// @notice Emitted when an agent pauses holder transfers.
    event Paused(address account);
    /// @notice Emitted when an agent resumes holder transfers.
    event Unpaused(address account);
    /// @notice Every agent action: who (`agent`), what, on which wallet (`wallet`; the sender of a
    ///         forced transfer, the lost wallet of a recovery, zero for pause), the other wallet
    ///         (receiver / new wallet, else zero), the amount, the reason code and the hash of the
    ///         supporting document (zero when none).
    event AgentActionTaken(
        address indexed agent,
        AgentAction indexed action,
        address indexed wallet,
        address counterparty,
        uint256 amount,
        uint8 reasonCode,
        bytes32 documentHash
    );

    /// @notice A holder transfer or mint the rules refuse, or an agent move (forced transfer,
    ///         recovery) to a receiver the asset's rules refuse (codes 2, 3, 4, 5).
    error AssetTokenTransferRestricted(uint8 code);
    error AssetTokenDocumentNotFound(bytes32 name);
    error AssetTokenInsufficientUnfrozen(address wallet, uint256 requested, uint256 available);
    error AssetTokenZeroAddress();
    /// @notice unfreezePartialTokens asked to release more than is frozen.
    error AssetTokenInsufficientFrozen(address wallet, uint256 requested, uint256 frozen);
    /// @notice setDocument with an empty name or an empty URI.
    error AssetTokenInvalidDocument(bytes32 name);
    /// @notice A mint of `amount` that would take the total supply (`supply` now) above the cap.
    error AssetTokenSupplyCapExceeded(uint256 cap, uint256 supply, uint256 amount);
    /// @notice Creation with a zero supply cap.
    error AssetTokenZeroSupplyCap();
    /// @notice A reason code outside the vocabulary (1..7).
    error AssetTokenInvalidReason(uint8 reasonCode);

    // --- agent actions (AGENT_ROLE) ---
    // Each has a reasonless form (reason code 0) and one with a reason code (1..7).
    /// @notice Issue `amount` to `to` within the supply cap; the receiver-side rules apply
    ///         (codes 10, 9, 2, 3, 4, 5, 7, 6); the minted amount is locked when the asset has a lock-up.
    function mint(address to, uint256 amount) external;
    /// @notice mint with a reason code.
    function mint(address to, uint256 amount, uint8 reasonCode) external;
    /// @notice Destroy `amount` of `from`; frozen tokens beyond the free balance are unfrozen first.
    function burn(address from, uint256 amount) external;
    /// @notice burn with a reason code.
    function burn(address from, uint256 amount, uint8 reasonCode) external;
    /// @notice Freeze or unfreeze a whole wallet (restriction code 9 while frozen).
    function setWalletFrozen(address wallet, bool frozen) external;
    /// @notice setWalletFrozen with a reason code.
    function setWalletFrozen(address wallet, bool frozen, uint8 reasonCode) external;
    /// @notice Freeze `amount` more of `wallet`'s free balance (restriction code 11 guards it).
    function freezePartialTokens(address wallet, uint256 amount) external;
    /// @notice freezePartialTokens with a reason code.
    function freezePartialTokens(address wallet, uint256 amount, uint8 reasonCode) external;
    /// @notice Release `amount` of `wallet`'s frozen tokens.
    function unfreezePartialTokens(address wallet, uint256 amount) external;
    /// @notice unfreezePartialTokens with a reason code.
    function unfreezePartialTokens(address wallet, uint256 amount, uint8 reasonCode) external;
    /// @notice Stop holder transfers (restriction code 10).
    function pause() external;
    /// @notice pause with a reason code.
    function pause(uint8 reasonCode) external;
    /// @notice Resume holder transfers.
    function unpause() external;
    /// @notice unpause with a reason code.
    function unpause(uint8 reasonCode) external;
    /// @notice Move tokens regardless of pause, freezes, lock-up and caps; the receiver must pass
    ///         the asset's receiver rules (AssetTokenTransferRestricted(2|3|4|5) otherwise).
    function forcedTransfer(address from, address to, uint256 amount) external override returns (bool result);
    /// @notice forcedTransfer with a reason code and the hash of the supporting document.
    function forcedTransfer(address from, address to, uint256 amount, uint8 reasonCode, bytes32 documentHash)
        external
        returns (bool result);
    /// @notice Move the whole balance, frozen state, locked tokens and accrued revenue of a lost
    ///         wallet to a new one that passes the asset's receiver rules.
    function recoverWallet(address lostWallet, address newWallet) external;
    /// @notice recoverWallet with a reason code and the hash of the supporting document.
    function recoverWallet(address lostWallet, address newWallet, uint8 reasonCode, bytes32 documentHash) external;

    // --- ERC-1643 (AGENT_ROLE or ISSUER_ROLE writes) ---
    /// @notice Add or replace document `name` (uri and content hash); stamps lastModified.
    function setDocument(bytes32 name, string calldata uri, bytes32 documentHash) external;
    /// @notice A document's uri, hash and last-modified time; all zero/empty when it does not exist.
    function getDocument(bytes32 name) external view returns (string memory uri, bytes32 documentHash, uint256 lastModified);
    /// @notice Remove document `name` (the last name takes its slot in the list).
    function removeDocument(bytes32 name) external;
    /// @notice Names of all current documents.
    function getAllDocuments() external view returns (bytes32[] memory);

    // --- views ---
    /// @notice The shared IdentityRegistry.
    function identityRegistry() external view returns (address);
    /// @notice This asset's ComplianceRules.
    function complianceRules() external view returns (address);
    /// @notice The RevenueDistributor notified before balance changes (zero when none).
    function revenueDistributor() external view returns (address);
    /// @notice The most that may ever be in circulation (set at creation; mint reverts beyond it).
    function supplyCap() external view returns (uint256);
    /// @notice Immutable asset class.
    function assetClass() external view returns (AssetClass);
    /// @notice Immutable URI of the asset's terms.
    function termsURI() external view returns (string memory);
    /// @notice Whether the whole wallet is frozen.
    function isFrozen(address wallet) external view returns (bool);
    /// @notice Partially frozen amount of `wallet` (may exceed its balance, see ERC-7943).
    function frozenTokens(address wallet) external view returns (uint256);
    /// @notice Whether holder transfers are paused.
    function paused() external view returns (bool);
    /// @notice ERC-1404, the full verdict (delegates to ComplianceRules).
    function detectTransferRestriction(address from, address to, uint256 amount) external view returns (uint8);
    /// @notice ERC-1404 human text for a restriction code.
    function messageForTransferRestriction(uint8 code) external view returns (string memory);
}
