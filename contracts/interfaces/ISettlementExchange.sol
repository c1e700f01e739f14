// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ISettlementExchange
/// @notice Batch delivery-versus-payment of EIP-712 signed orders.
/// @dev EIP-712 domain: name "RWA Settlement", version "1", chain id, this contract.
///      Order type string:
///        Order(address trader,address asset,bool isBuy,uint256 price,uint256 quantity,uint256 nonce,uint256 expiry)
///      `price` is cash base units (6 decimals) per whole asset unit (1e18 base units);
///      `quantity` is in asset base units; cash moved = price * quantity / 1e18 (the
///      venue's tick and lot sizes make this exact).
///      Every order must expire: `expiry` is a unix time, and 0 means "already expired" (never
///      "forever"). A trader invalidates its orders on chain one by one (`cancelOrder`) or all with
///      a nonce below a floor (`cancelUpTo`).
///      Trade ids are derived, never chosen by the operator:
///        tradeId = keccak256(abi.encode(buyHash, sellHash, seq))
///      where buyHash and sellHash are the orders' EIP-712 digests and `seq` the venue's trade
///      sequence number (see `tradeIdOf`): a sequence number reused with other orders is a new
///      trade, never taken for a settled one.
///      Failure codes in TradeFailed (public constants FAIL_* on SettlementExchange), checked in
///      this order after both order hashes and the trade id are computed; first failing check wins:
///         1 FAIL_ALREADY_SETTLED     the derived trade id was settled before (also earlier in the
///                                    batch): the same orders and seq
///         2 FAIL_INVALID_ORDERS      buy.isBuy false, sell.isBuy true, buy.asset != sell.asset,
///                                    or buy.trader == sell.trader
///         3 FAIL_BAD_BUY_SIGNATURE   buySignature is not buy.trader's EIP-712 signature
///         4 FAIL_BAD_SELL_SIGNATURE  sellSignature is not sell.trader's EIP-712 signature
///         5 FAIL_EXPIRED             an order has expiry == 0 or expiry < block.timestamp
///         6 FAIL_CANCELLED           an order was cancelled on chain (`cancelOrder`), or its nonce
///                                    is below its trader's nonce floor (`cancelUpTo`)
///         7 FAIL_PRICE               price == 0, price > buy.price or price < sell.price (price
///                                    and quantity are uint128 in settle()'s records: their
///                                    product always fits in 256 bits)
///         8 FAIL_QUANTITY            quantity == 0 or more than the remaining quantity of either
///                                    order (quantity - filled; nothing remains once the order's
///                                    nonce is spent, see below), or
///                                    a cash amount that is not whole (price * quantity % 1e18 != 0:
///                                    never rounded against the seller)
///         9 FAIL_ASSET_TRANSFER      asset transferFrom(seller -> buyer) failed (compliance,
///                                    balance, allowance)
///        10 FAIL_CASH_TRANSFER       cash transferFrom(buyer -> seller) failed (balance, allowance)
///      A trade's two transfers are atomic: on 9 or 10 neither moved. Only a settled trade marks
///      `settled(tradeId, seq)` and adds to `filled` of both orders.
///      Order state is kept per (trader, nonce), after Permit2's unordered nonces: two bits a nonce
///      (`nonceBitmap`, 128 nonces a word; bit 0 "partially filled", bit 1 "spent"). An order
///      filled completely, or cancelled with `cancelOrder`, spends its nonce: no order of that
///      trader with that nonce fills afterwards (the venue hands out each nonce once). Only a
///      partial fill keeps a filled amount in a slot of the order's own. Within a batch each order
///      is verified once and its fills are summed in memory, so two trades of one batch can never
///      fill more than the order's quantity. Signatures are 65-byte (r, s, v)
///      ECDSA signatures with v in {27, 28} and low s (`verifyOrder` gives the same verdict);
///      malformed ones fail with 3 or 4, never revert the batch.
interface ISettlementExchange {
    struct Order {
        address trader;
        address asset;
        bool isBuy;
        uint256 price;
        uint256 quantity;
        uint256 nonce;
        uint256 expiry;
    }

    /// @notice A trade settled. The asset, buyer and seller are the signed orders' (named by their
    ///         digests) and the same transaction's asset Transfer(seller, buyer, quantity) shows
    ///         them: not repeated here (issue 17: 768 gas a trade).
    event TradeSettled(
        bytes32 indexed tradeId, bytes32 indexed buyOrderHash, bytes32 indexed sellOrderHash, uint256 price, uint256 quantity
    );
    event TradeFailed(bytes32 indexed tradeId, uint8 code);
    event OrderCancelled(bytes32 indexed orderHash, address indexed trader);
    /// @notice Every order of `trader` with a nonce below `nonce` can no longer settle.
    event NonceFloorRaised(address indexed trader, uint256 nonce);

    error SettlementExchangeNotOrderOwner(address caller);
    error SettlementExchangeZeroAddress();
    /// @notice cancelUpTo with a nonce not above the caller's current floor.
    error SettlementExchangeNonceFloorNotRaised(uint256 current, uint256 requested);
    /// @notice cancelUpTo past 2^64 - 1: settle() carries 64-bit nonces, so a higher floor would
    ///         leave the wallet no nonce to trade with, ever (a floor never comes down).
    error SettlementExchangeNonceFloorTooHigh(uint256 requested);
    /// @notice executeTransfers called by anyone but the exchange itself.
    error SettlementExchangeOnlySelf(address caller);
    /// @notice settle() of bytes that are no packed batch (see settle).
    error SettlementExchangeMalformedBatch();
    /// @notice Raised inside executeTransfers; `code` is FAIL_ASSET_TRANSFER or FAIL_CASH_TRANSFER.
    error SettlementExchangeTransferFailed(uint8 code);

    /// @notice Settle a batch (OPERATOR_ROLE). A failing trade emits TradeFailed and is skipped.
    ///         `packed` is the trades back to back, TRADE_BYTES (348) each, big-endian:
    ///           seq uint64 | price uint128 | quantity uint128 | buy order | sell order
    ///         and each order (154 bytes), the fields of the signed `Order` and its signature:
    ///           trader address | asset address | isBuy uint8 (0 or 1) | price uint128 |
    ///           quantity uint128 | nonce uint64 | expiry uint64 | signature (65 bytes r s v)
    ///         The narrow fields are widened to the Order's uint256 before hashing: the EIP-712
    ///         digest is the one the wallet signed (an order whose values do not fit cannot be
    ///         sent). A batch whose length is not a multiple of TRADE_BYTES, or with an isBuy byte
    ///         other than 0 or 1, reverts whole (SettlementExchangeMalformedBatch): nothing is
    ///         mis-read. backend/settlement/packing.py is the encoder.
    function settle(bytes calldata packed) external;

    /// @notice The trader cancels its own order on chain: the venue-independent escape hatch.
    function cancelOrder(Order calldata order) external;

    /// @notice The caller invalidates, in one transaction, every order of its own with a nonce
    ///         below `nonce`: its nonce floor becomes `nonce`, which must be strictly greater than
    ///         the current floor (else SettlementExchangeNonceFloorNotRaised).
    function cancelUpTo(uint256 nonce) external;

    /// @notice Internal step of settle, external only so a failing trade can be rolled back alone:
    ///         moves `quantity` asset seller->buyer and `cashAmount` cash buyer->seller, or reverts
    ///         SettlementExchangeTransferFailed(code). Only callable by the exchange itself.
    function executeTransfers(address asset, address seller, address buyer, uint256 quantity, uint256 cashAmount)
        external;

    /// @notice The EIP-712 digest of `order` (what the trader signs).
    function hashOrder(Order calldata order) external view returns (bytes32);
    /// @notice Whether `signature` is `order.trader`'s signature of `order`, by exactly settle()'s
    ///         rules (65 bytes, v in {27, 28}, low s, recovered signer == order.trader), and the
    ///         order's EIP-712 digest. Says nothing of expiry, cancellation or fills.
    function verifyOrder(Order calldata order, bytes calldata signature)
        external
        view
        returns (bool valid, bytes32 orderHash);
    /// @notice The on-chain trade id of a fill of the orders with digests `buyHash` and `sellHash`
    ///         numbered `seq` by the venue: keccak256(abi.encode(buyHash, sellHash, seq)).
    function tradeIdOf(bytes32 buyHash, bytes32 sellHash, uint256 seq) external pure returns (bytes32);
    /// @notice The trader's nonce floor: its orders with a lower nonce cannot settle.
    function nonceFloor(address trader) external view returns (uint256);
    /// @notice Quantity of the order already settled: its whole quantity once its nonce is spent by
    ///         a fill (a cancelled order: what it had filled before the cancel).
    function filled(Order calldata order) external view returns (uint256);
    /// @notice The order state bits of `trader`'s nonces 128 * word .. 128 * word + 127: two bits
    ///         each, bit 0 partially filled, bit 1 spent (filled completely or cancelled).
    function nonceBitmap(address trader, uint256 word) external view returns (uint256);
    /// @notice Whether the order was cancelled on chain.
    function cancelled(bytes32 orderHash) external view returns (bool);
    /// @notice Whether the trade with (derived) id `tradeId` and sequence number `seq` settled.
    ///         Recorded as a 64-bit fingerprint of the id per sequence number (a sequence number
    ///         reused with other orders records the full id).
    function settled(bytes32 tradeId, uint256 seq) external view returns (bool);
    /// @notice The payment token.
    function cashToken() external view returns (address);
    /// @notice The EIP-712 domain separator (name "RWA Settlement", version "1").
    function domainSeparator() external view returns (bytes32);
}
