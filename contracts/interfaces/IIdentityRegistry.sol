// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IIdentityRegistry
/// @notice Whitelist of investor wallets shared by every asset: country (ISO 3166 numeric),
///         accreditation and KYC expiry. A wallet is verified while it is registered and its
///         KYC has not expired.
interface IIdentityRegistry {
    struct Investor {
        bool registered;
        uint16 country;
        bool accredited;
        uint64 kycExpiry;
    }

    event InvestorRegistered(address indexed wallet, uint16 country, bool accredited, uint64 kycExpiry);
    event InvestorUpdated(address indexed wallet, uint16 country, bool accredited, uint64 kycExpiry);
    event InvestorRemoved(address indexed wallet);
    event WalletRecovered(address indexed lostWallet, address indexed newWallet);

    error IdentityRegistryZeroAddress();
    error IdentityRegistryAlreadyRegistered(address wallet);
    error IdentityRegistryNotRegistered(address wallet);
    error IdentityRegistryInvalidCountry(uint16 country);

    /// @notice Register a new wallet (REGISTRAR_ROLE).
    function registerInvestor(address wallet, uint16 country, bool accredited, uint64 kycExpiry) external;

    /// @notice Change a registered wallet's record (REGISTRAR_ROLE).
    function updateInvestor(address wallet, uint16 country, bool accredited, uint64 kycExpiry) external;

    /// @notice Remove a wallet from the whitelist (REGISTRAR_ROLE).
    function removeInvestor(address wallet) external;

    /// @notice Move a record from a lost wallet to a new one (REGISTRAR_ROLE).
    function recoverWallet(address lostWallet, address newWallet) external;

    /// @notice True while `wallet` is registered and its KYC has not expired (kycExpiry > now).
    function isVerified(address wallet) external view returns (bool);

    /// @notice The record of `wallet` (all zero when not registered).
    function investorOf(address wallet) external view returns (Investor memory);
}
