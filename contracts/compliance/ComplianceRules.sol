// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IComplianceRules} from "../interfaces/IComplianceRules.sol";
import {IIdentityRegistry} from "../interfaces/IIdentityRegistry.sol";
import {IAssetToken} from "../interfaces/IAssetToken.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title ComplianceRules
/// @notice The rule set of one asset token: allowed countries, accredited-only, max holders,
///         max balance per investor and a lock-up of newly issued tokens. ERC-1404 restriction codes,
///         evaluated in the order documented in IComplianceRules.
/// @dev Evaluates against the token's state (paused, frozen wallets and amounts, balances),
///      which the bound token passes in on its own transfers (detectTransferRestrictionWith)
///      and detectTransferRestriction reads from it, and the shared IdentityRegistry. Holder
///      count and lock-ups are kept current by `transferred`, which the bound token calls after
///      every balance change with the balances after it. A lock is an amount with a release
///      time, created only by mints (see IComplianceRules and docs/compliance.md).
contract ComplianceRules is AccessControl, IComplianceRules {
    bytes32 public constant RULES_ADMIN_ROLE = keccak256("RULES_ADMIN_ROLE");

    uint8 private constant _OK = 0;
    uint8 private constant _SENDER_NOT_WHITELISTED = 1;
    uint8 private constant _RECEIVER_NOT_WHITELISTED = 2;
    uint8 private constant _KYC_EXPIRED = 3;
    uint8 private constant _COUNTRY_NOT_ALLOWED = 4;
    uint8 private constant _NOT_ACCREDITED = 5;
    uint8 private constant _MAX_HOLDERS = 6;
    uint8 private constant _MAX_BALANCE = 7;
    uint8 private constant _LOCKED_UP = 8;
    uint8 private constant _FROZEN = 9;
    uint8 private constant _PAUSED = 10;
    uint8 private constant _INSUFFICIENT_UNFROZEN = 11;
    uint16 private constant _MAX_COUNTRY = 999;

    IIdentityRegistry private immutable _registry;
    address private immutable _binder;

    address private _token;
    // one slot: flag, lock-up
    bool private _accreditedOnly;
    uint64 private _lockupSeconds;
    uint256 private _maxHolders;
    uint256 private _maxBalance;
    uint16[] private _allowedCountries;
    mapping(uint16 country => bool) private _countryAllowed;

    /// @dev One slot: locked amount (tokens issued under a lock-up, still held) and release time.
    struct Lock {
        uint192 amount;
        uint64 until;
    }

    uint256 private _holderCount;
    mapping(address wallet => Lock) private _locks;

    modifier onlyToken() {
        if (msg.sender != _token) revert ComplianceRulesOnlyToken(msg.sender);
        _;
    }

    /// @param registry The shared IdentityRegistry.
    /// @param admin Receives DEFAULT_ADMIN_ROLE and RULES_ADMIN_ROLE.
    /// @param binder The only address that may bind the token (the AssetFactory).
    constructor(IIdentityRegistry registry, address admin, address binder) {
        if (address(registry) == address(0) || admin == address(0) || binder == address(0)) {
            revert ComplianceRulesZeroAddress();
        }
        _registry = registry;
        _binder = binder;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(RULES_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IComplianceRules
    function bindToken(address token_) external {
        if (msg.sender != _binder) revert ComplianceRulesOnlyBinder(msg.sender);
        if (token_ == address(0)) revert ComplianceRulesZeroAddress();
        if (_token != address(0)) revert ComplianceRulesTokenAlreadyBound(_token);
        _token = token_;
        emit TokenBound(token_);
    }

    /// @inheritdoc IComplianceRules
    /// @dev Country codes must be 1..999; duplicates are harmless. Zero caps mean "no cap".
    function setRules(
        uint16[] calldata allowedCountries,
        bool accreditedOnly,
        uint256 maxHolders,
        uint256 maxBalance,
        uint64 lockupSeconds
    ) external onlyRole(RULES_ADMIN_ROLE) {
        uint16[] storage current = _allowedCountries;
        for (uint256 i = 0; i < current.length; ++i) {
            delete _countryAllowed[current[i]];
        }
        delete _allowedCountries;
        for (uint256 i = 0; i < allowedCountries.length; ++i) {
            uint16 country = allowedCountries[i];
            if (country == 0 || country > _MAX_COUNTRY) revert ComplianceRulesInvalidCountry(country);
            _countryAllowed[country] = true;
            _allowedCountries.push(country);
        }
        _accreditedOnly = accreditedOnly;
        _maxHolders = maxHolders;
        _maxBalance = maxBalance;
        _lockupSeconds = lockupSeconds;
        emit RulesUpdated(allowedCountries, accreditedOnly, maxHolders, maxBalance, lockupSeconds);
    }

    /// @inheritdoc IComplianceRules
    /// @dev Holder count changes only for nonzero amounts between different wallets: `to` becomes
    ///      a holder when its balance went 0 -> amount, `from` stops when its balance reached 0.
    ///      Locks: a mint locks the minted amount (when lockupSeconds != 0); a debit that leaves
    ///      `from` holding less than its active lock (only agent moves can: holder transfers are
    ///      checked against the free balance) caps the lock, and the part that left stays locked
    ///      at `to` with its release time. A holder transfer touches no lock (one warm read).
    ///      The token passes both balances after the change (no call back into it).
    function transferred(address from, address to, uint256 amount, uint256 fromBalance, uint256 toBalance)
        external
        onlyToken
    {
        if (amount == 0 || from == to) return;
        uint256 movedLocked;
        uint64 movedUntil;
        if (from != address(0)) {
            if (fromBalance == 0) {
                // a nonzero amount left `from`, so it was counted as a holder
                unchecked {
                    --_holderCount;
                }
            }
            Lock memory lock = _locks[from];
            if (lock.amount > fromBalance && lock.until > block.timestamp) {
                // cannot underflow: checked just above
                unchecked {
                    movedLocked = lock.amount - fromBalance;
                }
                movedUntil = lock.until;
                _setLock(from, fromBalance, lock.until);
            }
        }
        if (to == address(0)) return;
        if (toBalance == amount) {
            // cannot overflow: bounded by the number of addresses
            unchecked {
                ++_holderCount;
            }
        }
        if (from == address(0)) {
            uint64 lockup = _lockupSeconds;
            if (lockup == 0) return;
            // computed in 256 bits and clamped, so a huge lock-up cannot make mints revert
            uint256 until = block.timestamp + lockup;
            if (until > type(uint64).max) until = type(uint64).max;
            _mergeLock(to, amount, uint64(until));
        } else if (movedLocked != 0) {
            _mergeLock(to, movedLocked, movedUntil);
        }
    }

    /// @inheritdoc IComplianceRules
    function getRules() external view returns (Rules memory) {
        return Rules({
            allowedCountries: _allowedCountries,
            accreditedOnly: _accreditedOnly,
            maxHolders: _maxHolders,
            maxBalance: _maxBalance,
            lockupSeconds: _lockupSeconds
        });
    }

    /// @inheritdoc IComplianceRules
    function token() external view returns (address) {
        return _token;
    }

    /// @notice The IdentityRegistry the rules read.
    function identityRegistry() external view returns (address) {
        return address(_registry);
    }

    /// @inheritdoc IComplianceRules
    function holderCount() external view returns (uint256) {
        return _holderCount;
    }

    /// @inheritdoc IComplianceRules
    function lockedUntil(address wallet) external view returns (uint64) {
        return _locks[wallet].until;
    }

    /// @inheritdoc IComplianceRules
    function lockedBalance(address wallet) external view returns (uint256) {
        return _activeLocked(_locks[wallet]);
    }

    /// @inheritdoc IComplianceRules
    function lockOf(address wallet) external view returns (uint256 amount, uint64 until) {
        Lock memory lock = _locks[wallet];
        return (lock.amount, lock.until);
    }

    /// @inheritdoc IComplianceRules
    function isEligibleReceiver(address wallet) external view returns (bool) {
        return _receiverCode(_registry.investorOf(wallet)) == _OK;
    }

    /// @inheritdoc IComplianceRules
    function receiverRestriction(address wallet) external view returns (uint8) {
        return _receiverCode(_registry.investorOf(wallet));
    }

    /// @inheritdoc IComplianceRules
    function detectTransferRestriction(address from, address to, uint256 amount) external view returns (uint8) {
        IAssetToken asset = IAssetToken(_token);
        IERC20 balances = IERC20(address(asset));
        bool isMint = from == address(0);
        TokenState memory state = TokenState({
            paused: asset.paused(),
            fromFrozen: asset.isFrozen(from),
            toFrozen: asset.isFrozen(to),
            fromBalance: isMint ? 0 : balances.balanceOf(from),
            fromFrozenTokens: isMint ? 0 : asset.frozenTokens(from),
            toBalance: balances.balanceOf(to)
        });
        return _restriction(from, to, amount, state);
    }

    /// @inheritdoc IComplianceRules
    function detectTransferRestrictionWith(address from, address to, uint256 amount, TokenState calldata state)
        external
        view
        returns (uint8)
    {
        return _restriction(from, to, amount, state);
    }

    /// @dev The evaluation, in the order documented in IComplianceRules.
    function _restriction(address from, address to, uint256 amount, TokenState memory state)
        private
        view
        returns (uint8)
    {
        if (state.paused) return _PAUSED;
        if (state.fromFrozen || state.toFrozen) return _FROZEN;

        bool isMint = from == address(0);
        IIdentityRegistry.Investor memory sender;
        if (!isMint) {
            sender = _registry.investorOf(from);
            if (!sender.registered) return _SENDER_NOT_WHITELISTED;
        }
        IIdentityRegistry.Investor memory receiver = _registry.investorOf(to);
        if (!receiver.registered) return _RECEIVER_NOT_WHITELISTED;
        if ((!isMint && sender.kycExpiry <= block.timestamp) || receiver.kycExpiry <= block.timestamp) {
            return _KYC_EXPIRED;
        }
        if (!_countryOk(receiver.country)) return _COUNTRY_NOT_ALLOWED;
        if (_accreditedOnly && !receiver.accredited) return _NOT_ACCREDITED;

        uint256 fromBalance = state.fromBalance;
        if (!isMint) {
            uint256 frozen = state.fromFrozenTokens;
            uint256 unfrozen = fromBalance > frozen ? fromBalance - frozen : 0;
            if (amount > unfrozen) return _INSUFFICIENT_UNFROZEN;
            // written as a subtraction (amount <= unfrozen here) so it cannot overflow
            if (_activeLocked(_locks[from]) > unfrozen - amount) return _LOCKED_UP;
        }
        if (from == to) return _OK;

        uint256 maxBalance = _maxBalance;
        uint256 maxHolders = _maxHolders;
        if (maxBalance == 0 && maxHolders == 0) return _OK;
        uint256 toBalance = state.toBalance;
        // written as a subtraction so a huge mint amount cannot overflow this view
        if (maxBalance != 0 && (amount > maxBalance || toBalance > maxBalance - amount)) return _MAX_BALANCE;
        if (
            maxHolders != 0 && toBalance == 0 && amount != 0 && (isMint || fromBalance > amount)
                && _holderCount >= maxHolders
        ) return _MAX_HOLDERS;
        return _OK;
    }

    /// @inheritdoc IComplianceRules
    function messageForTransferRestriction(uint8 code) external pure returns (string memory) {
        if (code == _OK) return "no restriction";
        if (code == _SENDER_NOT_WHITELISTED) return "sender not whitelisted";
        if (code == _RECEIVER_NOT_WHITELISTED) return "receiver not whitelisted";
        if (code == _KYC_EXPIRED) return "KYC expired";
        if (code == _COUNTRY_NOT_ALLOWED) return "receiver country not allowed";
        if (code == _NOT_ACCREDITED) return "receiver not accredited";
        if (code == _MAX_HOLDERS) return "maximum number of holders reached";
        if (code == _MAX_BALANCE) return "maximum balance per investor exceeded";
        if (code == _LOCKED_UP) return "sender tokens are locked up";
        if (code == _FROZEN) return "wallet frozen";
        if (code == _PAUSED) return "transfers paused";
        if (code == _INSUFFICIENT_UNFROZEN) return "insufficient unfrozen balance";
        return "unknown restriction";
    }

    /// @dev Codes 2, 3, 4, 5 for a receiver alone, in the evaluation order.
    function _receiverCode(IIdentityRegistry.Investor memory investor) private view returns (uint8) {
        if (!investor.registered) return _RECEIVER_NOT_WHITELISTED;
        if (investor.kycExpiry <= block.timestamp) return _KYC_EXPIRED;
        if (!_countryOk(investor.country)) return _COUNTRY_NOT_ALLOWED;
        if (_accreditedOnly && !investor.accredited) return _NOT_ACCREDITED;
        return _OK;
    }

    /// @dev Add `amount` locked until `until` to `wallet`'s lock, conservatively: an active lock
    ///      keeps its tokens and the later release time applies to the sum; an expired one is
    ///      replaced (its tokens are free and stay free).
    function _mergeLock(address wallet, uint256 amount, uint64 until) private {
        Lock memory lock = _locks[wallet];
        if (lock.until > block.timestamp) {
            amount += lock.amount;
            if (lock.until > until) until = lock.until;
        }
        _setLock(wallet, amount, until);
    }

    function _setLock(address wallet, uint256 amount, uint64 until) private {
        _locks[wallet] = Lock({amount: SafeCast.toUint192(amount), until: until});
        emit LockUpdated(wallet, amount, until);
    }

    function _activeLocked(Lock memory lock) private view returns (uint256) {
        return lock.until > block.timestamp ? lock.amount : 0;
    }

    function _countryOk(uint16 country) private view returns (bool) {
        return _allowedCountries.length == 0 || _countryAllowed[country];
    }
}
