// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ISettlementExchange} from "../interfaces/ISettlementExchange.sol";
import {TrySafeERC20} from "./TrySafeERC20.sol";
import {PackedBatch} from "./PackedBatch.sol";

/// @title SettlementExchange
/// @notice Delivery-versus-payment settlement of trades between EIP-712 signed orders, in batches
///         submitted by the venue's operator. Investors keep assets and cash in their own wallets
///         (approved to this contract) until the transaction that settles their trade.
/// @dev Per trade: derives the trade id from both order digests and the venue's sequence number,
///      checks in the order of the FAIL_* codes, then moves the asset seller->buyer
///      and the cash buyer->seller through `transferFrom` (so the asset's compliance applies) in
///      an external self-call, so that a failing trade rolls back alone and emits TradeFailed.
///      Storage (issue 17: no fresh slot per trade or per order in the usual case):
///      - order state: two bits per (trader, nonce), 128 nonces a slot (after Permit2's unordered
///        nonces): SPENT (filled completely, or cancelled) and PARTIAL (a filled amount is kept in
///        `_partialFill[orderHash]`, the only per-order slot, written only for a partial fill);
///      - idempotency: a 64-bit fingerprint of the trade id per sequence number, four a slot; a
///        sequence number reused with other orders (a different fingerprint) records its trade id
///        in `_settledIds` instead.
///      Each order met in a batch is loaded from storage once into the batch's memory table, and a
///      signature recovered for it is not recovered again for the same bytes; its fills accumulate
///      in memory and are written once, after the last trade.
///      OpenZeppelin and Solidity primitives (ECDSA.tryRecover, abi.encode struct hashing, Math.mulDiv,
///      try/catch); assembly only where docs/gas.md measured it pays: TrySafeERC20's call, and the
///      reuse of each trade's memory in settle().
contract SettlementExchange is AccessControl, ReentrancyGuard, EIP712, ISettlementExchange {
    using TrySafeERC20 for IERC20;

    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");

    /// @notice EIP-712 type hash of Order.
    bytes32 public constant ORDER_TYPEHASH = keccak256(
        "Order(address trader,address asset,bool isBuy,uint256 price,uint256 quantity,uint256 nonce,uint256 expiry)"
    );

    uint8 public constant FAIL_ALREADY_SETTLED = 1;
    uint8 public constant FAIL_INVALID_ORDERS = 2;
    uint8 public constant FAIL_BAD_BUY_SIGNATURE = 3;
    uint8 public constant FAIL_BAD_SELL_SIGNATURE = 4;
    uint8 public constant FAIL_EXPIRED = 5;
    uint8 public constant FAIL_CANCELLED = 6;
    uint8 public constant FAIL_PRICE = 7;
    uint8 public constant FAIL_QUANTITY = 8;
    uint8 public constant FAIL_ASSET_TRANSFER = 9;
    uint8 public constant FAIL_CASH_TRANSFER = 10;

    uint256 private constant _ASSET_UNIT = 1e18;
    /// @dev Order state bits of a nonce (two bits each, 128 nonces a word).
    uint256 private constant _PARTIAL = 1;
    uint256 private constant _SPENT = 2;
    /// @dev Trade id fingerprints: 64 bits each, four sequence numbers a word.
    uint256 private constant _LANE_MASK = type(uint64).max;
    /// @notice The size of a trade's record in settle()'s packed batch (PackedBatch).
    uint256 public constant TRADE_BYTES = PackedBatch.TRADE_BYTES;

    /// @dev An order met in the batch: loaded from storage once, its fills kept here and written
    ///      once at the end of the batch.
    struct Entry {
        bytes32 hash;
        address trader;
        uint256 nonce;
        uint256 quantity;
        uint256 filledBefore;
        uint256 filled;
        bytes32 signatureHash;
        bool cancelled;
    }

    /// @dev The batch's orders: an open-addressing table (order hash -> entry index + 1) over
    ///      entries allocated before the first trade (so each trade's memory can be reused).
    struct Batch {
        uint256[] table;
        Entry[] entries;
        uint256 count;
    }

    IERC20 private immutable _cash;
    mapping(address trader => mapping(uint256 word => uint256 bits)) private _nonceBits;
    mapping(bytes32 orderHash => uint256) private _partialFill;
    mapping(bytes32 orderHash => bool) private _cancelled;
    mapping(uint256 seqWord => uint256 fingerprints) private _settledSeqs;
    mapping(bytes32 tradeId => bool) private _settledIds;
    mapping(address trader => uint256) private _nonceFloor;

    /// @param cash The payment token.
    /// @param admin Receives DEFAULT_ADMIN_ROLE (grants OPERATOR_ROLE).
    constructor(IERC20 cash, address admin) EIP712("RWA Settlement", "1") {
        if (address(cash) == address(0) || admin == address(0)) revert SettlementExchangeZeroAddress();
        _cash = cash;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc ISettlementExchange
    function settle(bytes calldata packed) external nonReentrant onlyRole(OPERATOR_ROLE) {
        if (packed.length % TRADE_BYTES != 0) revert SettlementExchangeMalformedBatch();
        bytes32 domain = _domainSeparatorV4();
        uint256 n = packed.length / TRADE_BYTES;
        Batch memory batch = _newBatch(n);
        for (uint256 i = 0; i < n; ++i) {
            uint256 freeMemory;
            assembly ("memory-safe") {
                freeMemory := mload(0x40)
            }
            _settleOne(packed[i * TRADE_BYTES:(i + 1) * TRADE_BYTES], domain, batch);
            // nothing _settleOne allocated outlives it (the batch's table and entries were
            // allocated before): reuse that memory for the next trade (keeps the batch's memory,
            // whose cost grows quadratically, at one trade's worth)
            assembly ("memory-safe") {
                mstore(0x40, freeMemory)
            }
        }
        _writeFills(batch);
    }

    /// @inheritdoc ISettlementExchange
    function cancelOrder(Order calldata order) external nonReentrant {
        if (msg.sender != order.trader) revert SettlementExchangeNotOrderOwner(msg.sender);
        bytes32 orderHash = _hashOrder(order, _domainSeparatorV4());
        _cancelled[orderHash] = true;
        _nonceBits[msg.sender][order.nonce >> 7] |= _SPENT << ((order.nonce & 127) << 1);
        emit OrderCancelled(orderHash, msg.sender);
    }

    /// @inheritdoc ISettlementExchange
    function cancelUpTo(uint256 nonce) external nonReentrant {
        uint256 current = _nonceFloor[msg.sender];
        if (nonce <= current) revert SettlementExchangeNonceFloorNotRaised(current, nonce);
        if (nonce > type(uint64).max) revert SettlementExchangeNonceFloorTooHigh(nonce);
        _nonceFloor[msg.sender] = nonce;
        emit NonceFloorRaised(msg.sender, nonce);
    }

    /// @inheritdoc ISettlementExchange
    function executeTransfers(address asset, address seller, address buyer, uint256 quantity, uint256 cashAmount)
        external
    {
        if (msg.sender != address(this)) revert SettlementExchangeOnlySelf(msg.sender);
        if (!IERC20(asset).trySafeTransferFrom(seller, buyer, quantity)) {
            revert SettlementExchangeTransferFailed(FAIL_ASSET_TRANSFER);
        }
        if (!_cash.trySafeTransferFrom(buyer, seller, cashAmount)) {
            revert SettlementExchangeTransferFailed(FAIL_CASH_TRANSFER);
        }
    }

    /// @inheritdoc ISettlementExchange
    function hashOrder(Order calldata order) external view returns (bytes32) {
        return _hashOrder(order, _domainSeparatorV4());
    }

    /// @inheritdoc ISettlementExchange
    function verifyOrder(Order calldata order, bytes calldata signature)
        external
        view
        returns (bool valid, bytes32 orderHash)
    {
        orderHash = _hashOrder(order, _domainSeparatorV4());
        valid = _validSignature(orderHash, signature, order.trader);
    }

    /// @inheritdoc ISettlementExchange
    function tradeIdOf(bytes32 buyHash, bytes32 sellHash, uint256 seq) external pure returns (bytes32) {
        return _tradeId(buyHash, sellHash, seq);
    }

    /// @inheritdoc ISettlementExchange
    function nonceFloor(address trader) external view returns (uint256) {
        return _nonceFloor[trader];
    }

    /// @inheritdoc ISettlementExchange
    function nonceBitmap(address trader, uint256 word) external view returns (uint256) {
        return _nonceBits[trader][word];
    }

    /// @inheritdoc ISettlementExchange
    function filled(Order calldata order) external view returns (uint256) {
        bytes32 orderHash = _hashOrder(order, _domainSeparatorV4());
        uint256 bits = _bitsOf(order.trader, order.nonce);
        if (bits & _SPENT != 0 && !_cancelled[orderHash]) return order.quantity;
        return bits & _PARTIAL != 0 ? _partialFill[orderHash] : 0;
    }

    /// @inheritdoc ISettlementExchange
    function cancelled(bytes32 orderHash) external view returns (bool) {
        return _cancelled[orderHash];
    }

    /// @inheritdoc ISettlementExchange
    function settled(bytes32 tradeId, uint256 seq) external view returns (bool) {
        return _isSettled(tradeId, seq);
    }

    /// @inheritdoc ISettlementExchange
    function cashToken() external view returns (address) {
        return address(_cash);
    }

    /// @inheritdoc ISettlementExchange
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @dev Check one trade (its packed record), execute it or emit TradeFailed. The trade id is
    ///      derived first (it is what every TradeFailed names), so both order digests are computed
    ///      before any check.
    function _settleOne(bytes calldata record, bytes32 domain, Batch memory batch) private {
        (Order memory buy, bytes32 buyHash) = _readOrder(record, PackedBatch.BUY_AT, domain);
        (Order memory sell, bytes32 sellHash) = _readOrder(record, PackedBatch.SELL_AT, domain);
        bytes32 tradeId;
        {
            uint256 seq = PackedBatch.seq(record);
            tradeId = _tradeId(buyHash, sellHash, seq);
            if (_isSettled(tradeId, seq)) return _fail(tradeId, FAIL_ALREADY_SETTLED);
        }

        if (!buy.isBuy || sell.isBuy || buy.asset != sell.asset || buy.trader == sell.trader) {
            return _fail(tradeId, FAIL_INVALID_ORDERS);
        }
        Entry memory buyEntry = _entry(batch, buy, buyHash);
        if (!_signedBy(buyEntry, _signatureAt(record, PackedBatch.BUY_AT))) return _fail(tradeId, FAIL_BAD_BUY_SIGNATURE);
        Entry memory sellEntry = _entry(batch, sell, sellHash);
        if (!_signedBy(sellEntry, _signatureAt(record, PackedBatch.SELL_AT))) {
            return _fail(tradeId, FAIL_BAD_SELL_SIGNATURE);
        }
        if (_expired(buy.expiry) || _expired(sell.expiry)) return _fail(tradeId, FAIL_EXPIRED);
        if (buyEntry.cancelled || sellEntry.cancelled) return _fail(tradeId, FAIL_CANCELLED);

        // price and quantity are at most 2^128 - 1 each (uint128 fields): price * quantity
        // fits in 256 bits, and the cash amount (Math.mulDiv) can never revert the batch
        (uint256 price, uint256 quantity) = PackedBatch.fill(record);
        if (price == 0 || price > buy.price || price < sell.price) return _fail(tradeId, FAIL_PRICE);

        // the cash must be exact: rounding price * quantity / 1e18 down would hand the buyer dust
        // of the seller's asset below the signed price (the venue's ticks and lots are always exact)
        if (
            quantity == 0 || quantity > buyEntry.quantity - buyEntry.filled
                || quantity > sellEntry.quantity - sellEntry.filled || mulmod(price, quantity, _ASSET_UNIT) != 0
        ) return _fail(tradeId, FAIL_QUANTITY);

        // rounded down (the check above makes it exact)
        try this.executeTransfers(
            buy.asset, sell.trader, buy.trader, quantity, Math.mulDiv(price, quantity, _ASSET_UNIT)
        ) {} catch (bytes memory reason) {
            return _fail(tradeId, _transferFailureCode(reason));
        }
        // quantity <= quantity - filled for both: the sums cannot exceed the orders' quantities
        buyEntry.filled += quantity;
        sellEntry.filled += quantity;
        _recordSettled(tradeId, PackedBatch.seq(record));
        emit TradeSettled(tradeId, buyHash, sellHash, price, quantity);
    }

    /// @dev The order record at byte `at` of a trade record: the Order and its EIP-712 digest.
    function _readOrder(bytes calldata record, uint256 at, bytes32 domain)
        private
        pure
        returns (Order memory order, bytes32 digest)
    {
        bytes32 structHash;
        (order, structHash) = PackedBatch.order(record[at:at + PackedBatch.ORDER_BYTES], ORDER_TYPEHASH);
        digest = MessageHashUtils.toTypedDataHash(domain, structHash);
    }

    /// @dev The signature of the order record at byte `at` of a trade record.
    function _signatureAt(bytes calldata record, uint256 at) private pure returns (bytes calldata) {
        return PackedBatch.signature(record[at:at + PackedBatch.ORDER_BYTES]);
    }

    /// @dev The batch's memory: a table of at least 4 slots per trade (two orders a trade, so it
    ///      is never more than half full) and room for two entries per trade.
    function _newBatch(uint256 trades) private pure returns (Batch memory batch) {
        uint256 size = 4;
        while (size < 4 * trades) size <<= 1;
        batch.table = new uint256[](size);
        batch.entries = new Entry[](2 * trades);
    }

    /// @dev The batch's entry for `order` (digest `orderHash`), loaded from storage the first time
    ///      the batch meets it. The returned struct is the one in the batch: changes stay.
    function _entry(Batch memory batch, Order memory order, bytes32 orderHash)
        private
        view
        returns (Entry memory entry)
    {
        uint256 mask = batch.table.length - 1;
        uint256 i = uint256(orderHash) & mask;
        for (uint256 slot = batch.table[i]; slot != 0; slot = batch.table[i]) {
            entry = batch.entries[slot - 1];
            if (entry.hash == orderHash) return entry;
            i = (i + 1) & mask;
        }
        entry = batch.entries[batch.count];
        ++batch.count;
        batch.table[i] = batch.count;
        entry.hash = orderHash;
        entry.trader = order.trader;
        entry.nonce = order.nonce;
        entry.quantity = order.quantity;
        uint256 bits = _bitsOf(order.trader, order.nonce);
        if (bits & _SPENT != 0) {
            // cancelled, or its nonce spent by a complete fill: nothing left either way
            entry.cancelled = _cancelled[orderHash];
            entry.filledBefore = order.quantity;
        } else if (bits & _PARTIAL != 0) {
            entry.filledBefore = _partialFill[orderHash];
        }
        entry.filled = entry.filledBefore;
        if (order.nonce < _nonceFloor[order.trader]) entry.cancelled = true;
    }

    /// @dev Write what the batch filled: a completely filled order spends its nonce's bit, a
    ///      partially filled one keeps its filled amount in its own slot.
    function _writeFills(Batch memory batch) private {
        uint256 count = batch.count;
        for (uint256 k = 0; k < count; ++k) {
            Entry memory entry = batch.entries[k];
            if (entry.filled == entry.filledBefore) continue;
            uint256 shift = (entry.nonce & 127) << 1;
            mapping(uint256 => uint256) storage words = _nonceBits[entry.trader];
            uint256 word = entry.nonce >> 7;
            if (entry.filled == entry.quantity) {
                words[word] |= _SPENT << shift;
            } else {
                _partialFill[entry.hash] = entry.filled;
                uint256 bits = words[word];
                if ((bits >> shift) & _PARTIAL == 0) words[word] = bits | (_PARTIAL << shift);
            }
        }
    }

    /// @dev Whether `signature` is the entry's trader's signature of its digest. The signature
    ///      recovered last for this order in the batch is remembered (by its hash): the same bytes
    ///      again are not recovered again; any other bytes are, so every trade gets exactly the
    ///      verdict `verifyOrder` gives its own signature.
    function _signedBy(Entry memory entry, bytes calldata signature) private pure returns (bool) {
        bytes32 signatureHash = keccak256(signature);
        if (signatureHash == entry.signatureHash) return true;
        if (!_validSignature(entry.hash, signature, entry.trader)) return false;
        entry.signatureHash = signatureHash;
        return true;
    }

    /// @dev The two state bits of (trader, nonce).
    function _bitsOf(address trader, uint256 nonce) private view returns (uint256) {
        return (_nonceBits[trader][nonce >> 7] >> ((nonce & 127) << 1)) & 3;
    }

    /// @dev Whether trade `tradeId` numbered `seq` settled: its fingerprint in the sequence
    ///      number's lane, or (a sequence number reused with other orders) its id recorded apart.
    function _isSettled(bytes32 tradeId, uint256 seq) private view returns (bool) {
        uint256 lane = (_settledSeqs[seq >> 2] >> ((seq & 3) << 6)) & _LANE_MASK;
        if (lane == 0) return false;
        return lane == _fingerprint(tradeId) || _settledIds[tradeId];
    }

    /// @dev Record a settled trade: in its sequence number's lane when free, else by its id.
    function _recordSettled(bytes32 tradeId, uint256 seq) private {
        uint256 shift = (seq & 3) << 6;
        uint256 word = _settledSeqs[seq >> 2];
        if ((word >> shift) & _LANE_MASK == 0) {
            _settledSeqs[seq >> 2] = word | (_fingerprint(tradeId) << shift);
        } else {
            _settledIds[tradeId] = true;
        }
    }

    /// @dev A trade id's nonzero 64-bit fingerprint (its low 64 bits; 1 when those are 0).
    function _fingerprint(bytes32 tradeId) private pure returns (uint256) {
        uint256 fingerprint = uint256(tradeId) & _LANE_MASK;
        return fingerprint == 0 ? 1 : fingerprint;
    }

    function _fail(bytes32 tradeId, uint8 code) private {
        emit TradeFailed(tradeId, code);
    }

    /// @dev EIP-712 digest of `order` under `domain` (the domain separator, read once per batch).
    ///      A calldata `order` (the views, cancelOrder) is copied to memory, validating its
    ///      address and bool words (reverting on dirty bits); settle()'s orders are read from
    ///      fixed-width fields, which cannot be dirty.
    function _hashOrder(Order memory order, bytes32 domain) private pure returns (bytes32) {
        return MessageHashUtils.toTypedDataHash(domain, keccak256(abi.encode(ORDER_TYPEHASH, order)));
    }

    /// @dev ECDSA.tryRecover: 65-byte (r, s, v) signatures only, low s, v 27/28, a nonzero signer;
    ///      never reverts on a malformed signature. The signer must be `signer`.
    function _validSignature(bytes32 digest, bytes calldata signature, address signer) private pure returns (bool) {
        // the third value (the error's argument) says nothing the error itself does not
        // slither-disable-next-line unused-return
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signature);
        return err == ECDSA.RecoverError.NoError && recovered == signer;
    }

    /// @dev Every order must expire: expiry 0 is no "never" but already expired.
    function _expired(uint256 expiry) private view returns (bool) {
        return expiry == 0 || expiry < block.timestamp;
    }

    /// @dev The interface's trade id: keccak256(abi.encode(buyHash, sellHash, seq)).
    function _tradeId(bytes32 buyHash, bytes32 sellHash, uint256 seq) private pure returns (bytes32) {
        return keccak256(abi.encode(buyHash, sellHash, seq));
    }

    /// @dev The code carried by SettlementExchangeTransferFailed; any other revert of the self-call
    ///      (only possible when it ran out of gas) aborts the whole batch so the operator retries it.
    function _transferFailureCode(bytes memory reason) private pure returns (uint8) {
        if (reason.length == 36 && bytes4(reason) == SettlementExchangeTransferFailed.selector) {
            // the uint8 argument's word is reason[4:36]: its value is the last byte
            return uint8(reason[35]);
        }
        // bubble the revert up unchanged (as OpenZeppelin's Address does)
        assembly ("memory-safe") {
            revert(add(reason, 32), mload(reason))
        }
    }
}
