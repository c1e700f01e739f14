// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IAssetToken
/// @notice Permissioned ERC-20 (18 decimals) for one real-world asset, with ERC-1643 documents.
///         Every transfer and transferFrom passes the identity registry and the asset's
///         ComplianceRules or reverts with AssetTokenTransferRestricted(code).
interface IAssetToken {
    enum AssetClass {
        EQUITY,
        OIL_WELL,
        FARM
    }

    // ERC-1643
    event DocumentUpdated(bytes32 indexed name, string uri, bytes32 documentHash);
    event DocumentRemoved(bytes32 indexed name, string uri, bytes32 documentHash);

    event WalletFrozen(address indexed wallet, bool frozen);
    event TokensFrozen(address indexed wallet, uint256 amount);
    event TokensUnfrozen(address indexed wallet, uint256 amount);
    event ForcedTransfer(address indexed from, address indexed to, uint256 amount);
    event WalletRecovered(address indexed lostWallet, address indexed newWallet, uint256 amount);

    error AssetTokenTransferRestricted(uint8 code);
    error AssetTokenReceiverNotVerified(address wallet);
    error AssetTokenDocumentNotFound(bytes32 name);
    error AssetTokenInsufficientUnfrozen(address wallet, uint256 requested, uint256 available);
    error AssetTokenZeroAddress();

    // --- agent actions (AGENT_ROLE) ---
    function mint(address to, uint256 amount) external;
    function burn(address from, uint256 amount) external;
    function setWalletFrozen(address wallet, bool frozen) external;
    function freezePartialTokens(address wallet, uint256 amount) external;
    function unfreezePartialTokens(address wallet, uint256 amount) external;
    function pause() external;
    function unpause() external;
    /// @notice Move tokens regardless of rules; the receiver must still be verified.
    function forcedTransfer(address from, address to, uint256 amount) external;
    /// @notice Move the whole balance and frozen state of a lost wallet to a new verified one.
    function recoverWallet(address lostWallet, address newWallet) external;

    // --- ERC-1643 (AGENT_ROLE or ISSUER_ROLE writes) ---
    function setDocument(bytes32 name, string calldata uri, bytes32 documentHash) external;
    function getDocument(bytes32 name) external view returns (string memory uri, bytes32 documentHash, uint256 lastModified);
    function removeDocument(bytes32 name) external;
    function getAllDocuments() external view returns (bytes32[] memory);

    // --- views ---
    function identityRegistry() external view returns (address);
    function complianceRules() external view returns (address);
    function assetClass() external view returns (AssetClass);
    function termsURI() external view returns (string memory);
    function isFrozen(address wallet) external view returns (bool);
    function frozenTokens(address wallet) external view returns (uint256);
    function paused() external view returns (bool);
    /// @notice ERC-1404, the full verdict (delegates to ComplianceRules).
    function detectTransferRestriction(address from, address to, uint256 amount) external view returns (uint8);
    function messageForTransferRestriction(uint8 code) external view returns (string memory);
}
