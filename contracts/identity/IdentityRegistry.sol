// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IIdentityRegistry} from "../interfaces/IIdentityRegistry.sol";

/// @title IdentityRegistry
/// @notice The investor whitelist shared by every asset token: wallet -> country (ISO 3166
///         numeric, 1..999), accreditation and KYC expiry. REGISTRAR_ROLE writes it.
contract IdentityRegistry is AccessControl, IIdentityRegistry {
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    uint16 private constant _MAX_COUNTRY = 999;

    mapping(address wallet => Investor) private _investors;

    /// @param admin Receives DEFAULT_ADMIN_ROLE (grants REGISTRAR_ROLE).
    constructor(address admin) {
        if (admin == address(0)) revert IdentityRegistryZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IIdentityRegistry
    function registerInvestor(address wallet, uint16 country, bool accredited, uint64 kycExpiry)
        external
        onlyRole(REGISTRAR_ROLE)
    {
        if (wallet == address(0)) revert IdentityRegistryZeroAddress();
        if (_investors[wallet].registered) revert IdentityRegistryAlreadyRegistered(wallet);
        _checkCountry(country);
        _investors[wallet] = Investor({registered: true, country: country, accredited: accredited, kycExpiry: kycExpiry});
        emit InvestorRegistered(wallet, country, accredited, kycExpiry);
    }

    /// @inheritdoc IIdentityRegistry
    function updateInvestor(address wallet, uint16 country, bool accredited, uint64 kycExpiry)
        external
        onlyRole(REGISTRAR_ROLE)
    {
        if (!_investors[wallet].registered) revert IdentityRegistryNotRegistered(wallet);
        _checkCountry(country);
        _investors[wallet] = Investor({registered: true, country: country, accredited: accredited, kycExpiry: kycExpiry});
        emit InvestorUpdated(wallet, country, accredited, kycExpiry);
    }

    /// @inheritdoc IIdentityRegistry
    function removeInvestor(address wallet) external onlyRole(REGISTRAR_ROLE) {
        if (!_investors[wallet].registered) revert IdentityRegistryNotRegistered(wallet);
        delete _investors[wallet];
        emit InvestorRemoved(wallet);
    }

    /// @inheritdoc IIdentityRegistry
    /// @dev The new wallet must not be registered yet; the lost wallet's record is deleted.
    function recoverWallet(address lostWallet, address newWallet) external onlyRole(REGISTRAR_ROLE) {
        if (newWallet == address(0)) revert IdentityRegistryZeroAddress();
        Investor memory record = _investors[lostWallet];
        if (!record.registered) revert IdentityRegistryNotRegistered(lostWallet);
        if (_investors[newWallet].registered) revert IdentityRegistryAlreadyRegistered(newWallet);
        _investors[newWallet] = record;
        delete _investors[lostWallet];
        emit WalletRecovered(lostWallet, newWallet);
    }

    /// @inheritdoc IIdentityRegistry
    function isVerified(address wallet) external view returns (bool) {
        Investor memory record = _investors[wallet];
        return record.registered && record.kycExpiry > block.timestamp;
    }

    /// @inheritdoc IIdentityRegistry
    function investorOf(address wallet) external view returns (Investor memory) {
        return _investors[wallet];
    }

    function _checkCountry(uint16 country) private pure {
        if (country == 0 || country > _MAX_COUNTRY) revert IdentityRegistryInvalidCountry(country);
    }
}
