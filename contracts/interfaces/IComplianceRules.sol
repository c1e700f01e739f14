// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IComplianceRules
/// @notice One rule set per asset token, ERC-1404 restriction codes.
/// @dev Stable codes (DESIGN.md): 0 ok, 1 sender not whitelisted, 2 receiver not whitelisted,
///      3 KYC expired, 4 country not allowed, 5 not accredited, 6 max holders, 7 max balance,
///      8 lock-up, 9 frozen, 10 paused, 11 insufficient unfrozen balance.
///      Evaluation order for transfer(from, to, amount), first failing check wins — the
///      backend's evaluator mirrors this order exactly:
///        10 token paused
///         9 from or to wallet frozen (whole wallet)
///         1 from not registered           (skipped when from == 0, i.e. mint)
///         2 to not registered
///         3 from or to KYC expired (kycExpiry <= block.timestamp; from skipped on mint)
///         4 to's country not allowed (empty allow-list = every country allowed)
///         5 accreditedOnly and to not accredited
///        11 amount > balanceOf(from) - frozenTokens(from)     (skipped on mint)
///         8 amount > balanceOf(from) - frozenTokens(from) - lockedBalance(from)   (skipped on mint)
///         7 maxBalance != 0 and balanceOf(to) + amount > maxBalance  (skipped when from == to)
///         6 maxHolders != 0 and to holds nothing, amount > 0, from would keep a nonzero
///           balance or is the zero address, and holderCount >= maxHolders
///      A zero-amount transfer passes the same checks. Burns (to == 0) are agent actions and
///      are not evaluated here.
///      Lock-up (docs/compliance.md): a lock is an amount with a release time per wallet,
///      created only by primary issuance. A mint of `amount` under lockupSeconds L locks that
///      amount: lock(to) = (active locked + amount, max(active release, now + L)). Transfers
///      never create or extend a lock, so tokens received never lock tokens already held and
///      nobody can re-lock another holder with dust. Agent debits (forced transfer, recovery,
///      burn) take free tokens first; the locked part they move keeps its release time at the
///      receiver (merged the same way), and the sender's lock is capped at what it still holds.
///      A lock whose release time has passed counts as zero (lockedBalance).
interface IComplianceRules {
    struct Rules {
        uint16[] allowedCountries;
        bool accreditedOnly;
        uint256 maxHolders;
        uint256 maxBalance;
        uint64 lockupSeconds;
    }

    /// @notice The token's own state a transfer is checked against. The bound token passes it
    ///         (detectTransferRestrictionWith) instead of being called back for each value.
    struct TokenState {
        bool paused;
        bool fromFrozen;
        bool toFrozen;
        uint256 fromBalance;
        uint256 fromFrozenTokens;
        uint256 toBalance;
    }

    event RulesUpdated(uint16[] allowedCountries, bool accreditedOnly, uint256 maxHolders, uint256 maxBalance, uint64 lockupSeconds);
    event TokenBound(address indexed token);
    /// @notice A wallet's lock changed: `amount` locked until `until` (a mint, or an agent move).
    event LockUpdated(address indexed wallet, uint256 amount, uint64 until);

    error ComplianceRulesOnlyToken(address caller);
    error ComplianceRulesTokenAlreadyBound(address token);
    /// @notice bindToken called by someone other than the binder fixed at construction.
    error ComplianceRulesOnlyBinder(address caller);
    /// @notice bindToken with the zero address.
    error ComplianceRulesZeroAddress();
    /// @notice setRules with a country code outside 1..999 (ISO 3166 numeric).
    error ComplianceRulesInvalidCountry(uint16 country);

    /// @notice Bind the rule set to its token, once (only the binder set at construction: the factory).
    function bindToken(address token) external;

    /// @notice Replace the whole rule set (RULES_ADMIN_ROLE).
    function setRules(
        uint16[] calldata allowedCountries,
        bool accreditedOnly,
        uint256 maxHolders,
        uint256 maxBalance,
        uint64 lockupSeconds
    ) external;

    /// @notice The current rule set.
    function getRules() external view returns (Rules memory);

    /// @notice The bound asset token (zero until bound).
    function token() external view returns (address);

    /// @notice Number of wallets with a nonzero balance of the token.
    function holderCount() external view returns (uint256);

    /// @notice Release time of `wallet`'s locked tokens (0 when it never had a lock).
    function lockedUntil(address wallet) external view returns (uint64);

    /// @notice Tokens of `wallet` still locked now (0 once the release time has passed).
    function lockedBalance(address wallet) external view returns (uint256);

    /// @notice The stored lock of `wallet`: amount and release time (the amount may be stale
    ///         after the release time; lockedBalance is what counts).
    function lockOf(address wallet) external view returns (uint256 amount, uint64 until);

    /// @notice Account-level receive eligibility: registered, KYC current, country allowed and,
    ///         when required, accredited (codes 2, 3, 4, 5 for a receiver). Never reverts.
    function isEligibleReceiver(address wallet) external view returns (bool);

    /// @notice The receiver-side account code for `wallet`: 2 not registered, 3 KYC expired,
    ///         4 country not allowed, 5 not accredited (in that order), 0 eligible. What agent
    ///         moves (forced transfer, recovery) check their receiver against.
    function receiverRestriction(address wallet) external view returns (uint8);

    /// @notice ERC-1404: the code a transfer would fail with, 0 when it would pass (reads the
    ///         token's state from the bound token).
    function detectTransferRestriction(address from, address to, uint256 amount) external view returns (uint8);

    /// @notice The same evaluation against `state`, the token's state as the caller gives it:
    ///         what the bound token calls on every transfer (one call instead of six back into
    ///         it). Equal to detectTransferRestriction whenever `state` is the token's.
    function detectTransferRestrictionWith(address from, address to, uint256 amount, TokenState calldata state)
        external
        view
        returns (uint8);

    /// @notice ERC-1404: human text for a code.
    function messageForTransferRestriction(uint8 code) external view returns (string memory);

    /// @notice Called by the bound token after every balance change (mint, transfer, burn,
    ///         forced transfer, recovery) to keep holder count and locks current, with the
    ///         two balances after the change (`fromBalance` unused on a mint, `toBalance` on a burn).
    function transferred(address from, address to, uint256 amount, uint256 fromBalance, uint256 toBalance) external;
}
