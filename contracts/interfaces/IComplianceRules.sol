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
///         8 block.timestamp < lockedUntil(from)                (skipped on mint)
///         7 maxBalance != 0 and balanceOf(to) + amount > maxBalance  (skipped when from == to)
///         6 maxHolders != 0 and to holds nothing, amount > 0, from would keep a nonzero
///           balance or is the zero address, and holderCount >= maxHolders
///      A zero-amount transfer passes the same checks. Burns (to == 0) are agent actions and
///      are not evaluated here. Every acquisition (mint or transfer to `to`) sets
///      lockedUntil(to) = max(lockedUntil(to), block.timestamp + lockupSeconds).
interface IComplianceRules {
    struct Rules {
        uint16[] allowedCountries;
        bool accreditedOnly;
        uint256 maxHolders;
        uint256 maxBalance;
        uint64 lockupSeconds;
    }

    event RulesUpdated(uint16[] allowedCountries, bool accreditedOnly, uint256 maxHolders, uint256 maxBalance, uint64 lockupSeconds);
    event TokenBound(address indexed token);

    error ComplianceRulesOnlyToken(address caller);
    error ComplianceRulesTokenAlreadyBound(address token);

    /// @notice Replace the whole rule set (RULES_ADMIN_ROLE).
    function setRules(
        uint16[] calldata allowedCountries,
        bool accreditedOnly,
        uint256 maxHolders,
        uint256 maxBalance,
        uint64 lockupSeconds
    ) external;

    function getRules() external view returns (Rules memory);

    function token() external view returns (address);

    function holderCount() external view returns (uint256);

    function lockedUntil(address wallet) external view returns (uint64);

    /// @notice ERC-1404: the code a transfer would fail with, 0 when it would pass.
    function detectTransferRestriction(address from, address to, uint256 amount) external view returns (uint8);

    /// @notice ERC-1404: human text for a code.
    function messageForTransferRestriction(uint8 code) external view returns (string memory);

    /// @notice Called by the bound token after every balance change (mint, transfer, burn,
    ///         forced transfer, recovery) to keep holder count and lock-ups current.
    function transferred(address from, address to, uint256 amount) external;
}
