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

/// @title SettlementExchange
/// @notice Delivery-versus-payment settlement of trades between EIP-712 signed orders, in batches
///         submitted by the venue's operator. Investors keep assets and cash in their own wallets
///         (approved to this contract) until the transaction that settles their trade.
/// @dev Per trade: derives the trade id from both order digests and the venue's sequence number,
///      checks in the order of the FAIL_* codes, then moves the asset seller->buyer
///      and the cash buyer->seller through `transferFrom` (so the asset's compliance applies) in
///      an external self-call, so that a failing trade rolls back alone and emits TradeFailed.
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

    /// @dev Filled quantity and the cancel flag share one slot: one storage read per order.
    struct OrderState {
        uint248 filled;
        bool cancelled;
    }

    IERC20 private immutable _cash;
    mapping(bytes32 orderHash => OrderState) private _orders;
    mapping(bytes32 tradeId => bool) private _settled;
    mapping(address trader => uint256) private _nonceFloor;

    /// @param cash The payment token.
    /// @param admin Receives DEFAULT_ADMIN_ROLE (grants OPERATOR_ROLE).
    constructor(IERC20 cash, address admin) EIP712("RWA Settlement", "1") {
        if (address(cash) == address(0) || admin == address(0)) revert SettlementExchangeZeroAddress();
        _cash = cash;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc ISettlementExchange
    function settle(Trade[] calldata trades) external nonReentrant onlyRole(OPERATOR_ROLE) {
        bytes32 domain = _domainSeparatorV4();
        uint256 n = trades.length;
        for (uint256 i = 0; i < n; ++i) {
            uint256 freeMemory;
            assembly ("memory-safe") {
                freeMemory := mload(0x40)
            }
            _settleOne(trades[i], domain);
            // nothing _settleOne allocated outlives it: reuse that memory for the next trade
            // (keeps the batch's memory, whose cost grows quadratically, at one trade's worth)
            assembly ("memory-safe") {
                mstore(0x40, freeMemory)
            }
        }
    }

    /// @inheritdoc ISettlementExchange
    function cancelOrder(Order calldata order) external {
        if (msg.sender != order.trader) revert SettlementExchangeNotOrderOwner(msg.sender);
        bytes32 orderHash = _hashOrder(order, _domainSeparatorV4());
        _orders[orderHash].cancelled = true;
        emit OrderCancelled(orderHash, msg.sender);
    }

    /// @inheritdoc ISettlementExchange
    function cancelUpTo(uint256 nonce) external {
        uint256 current = _nonceFloor[msg.sender];
        if (nonce <= current) revert SettlementExchangeNonceFloorNotRaised(current, nonce);
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
    function filled(bytes32 orderHash) external view returns (uint256) {
        return _orders[orderHash].filled;
    }

    /// @inheritdoc ISettlementExchange
    function cancelled(bytes32 orderHash) external view returns (bool) {
        return _orders[orderHash].cancelled;
    }

    /// @inheritdoc ISettlementExchange
    function settled(bytes32 tradeId) external view returns (bool) {
        return _settled[tradeId];
    }

    /// @inheritdoc ISettlementExchange
    function cashToken() external view returns (address) {
        return address(_cash);
    }

    /// @inheritdoc ISettlementExchange
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @dev Check one trade, execute it or emit TradeFailed. The trade id is derived first (it is
    ///      what every TradeFailed names), so both order digests are computed before any check.
    function _settleOne(Trade calldata trade, bytes32 domain) private {
        Order calldata buy = trade.buy;
        Order calldata sell = trade.sell;
        bytes32 buyHash = _hashOrder(buy, domain);
        bytes32 sellHash = _hashOrder(sell, domain);
        bytes32 tradeId = _tradeId(buyHash, sellHash, trade.seq);
        if (_settled[tradeId]) return _fail(tradeId, FAIL_ALREADY_SETTLED);

        if (!buy.isBuy || sell.isBuy || buy.asset != sell.asset || buy.trader == sell.trader) {
            return _fail(tradeId, FAIL_INVALID_ORDERS);
        }
        if (!_validSignature(buyHash, trade.buySignature, buy.trader)) return _fail(tradeId, FAIL_BAD_BUY_SIGNATURE);
        if (!_validSignature(sellHash, trade.sellSignature, sell.trader)) {
            return _fail(tradeId, FAIL_BAD_SELL_SIGNATURE);
        }
        if (_expired(buy.expiry) || _expired(sell.expiry)) return _fail(tradeId, FAIL_EXPIRED);

        OrderState memory buyState = _orders[buyHash];
        OrderState memory sellState = _orders[sellHash];
        if (
            buyState.cancelled || sellState.cancelled || buy.nonce < _nonceFloor[buy.trader]
                || sell.nonce < _nonceFloor[sell.trader]
        ) return _fail(tradeId, FAIL_CANCELLED);

        uint256 price = trade.price;
        uint256 quantity = trade.quantity;
        // price * quantity must fit in 256 bits (only an absurd price against an absurd buy
        // limit could break it): so the interface says, and the cash amount (Math.mulDiv) can
        // never revert the batch
        bool overflows = quantity != 0 && price > type(uint256).max / quantity;
        if (price == 0 || price > buy.price || price < sell.price || overflows) return _fail(tradeId, FAIL_PRICE);

        // the cash must be exact: rounding price * quantity / 1e18 down would hand the buyer dust
        // of the seller's asset below the signed price (the venue's ticks and lots are always exact)
        if (
            quantity == 0 || quantity > _remaining(buy.quantity, buyState.filled)
                || quantity > _remaining(sell.quantity, sellState.filled) || mulmod(price, quantity, _ASSET_UNIT) != 0
        ) return _fail(tradeId, FAIL_QUANTITY);

        _execute(trade, tradeId, buyHash, sellHash, buyState.filled, sellState.filled);
    }

    /// @dev Move asset and cash for a trade that passed every check, in the self-call, then record
    ///      it (or emit TradeFailed with the transfer's code).
    function _execute(
        Trade calldata trade,
        bytes32 tradeId,
        bytes32 buyHash,
        bytes32 sellHash,
        uint248 buyFilled,
        uint248 sellFilled
    ) private {
        uint256 quantity = trade.quantity;
        // rounded down (the venue's tick and lot sizes make it exact)
        uint256 cashAmount = Math.mulDiv(trade.price, quantity, _ASSET_UNIT);
        try this.executeTransfers(trade.buy.asset, trade.sell.trader, trade.buy.trader, quantity, cashAmount) {}
        catch (bytes memory reason) {
            return _fail(tradeId, _transferFailureCode(reason));
        }
        // filled + quantity <= min(order quantity, 2^248 - 1): the casts cannot truncate
        _orders[buyHash].filled = uint248(buyFilled + quantity);
        _orders[sellHash].filled = uint248(sellFilled + quantity);
        _settled[tradeId] = true;
        emit TradeSettled(
            tradeId, buyHash, sellHash, trade.buy.asset, trade.buy.trader, trade.sell.trader, trade.price, quantity
        );
    }

    /// @dev Quantity still open: fills are stored in 248 bits, so larger orders cap there.
    ///      `filled` never exceeds the capped quantity, so the subtraction cannot underflow.
    function _remaining(uint256 quantity, uint248 filled_) private pure returns (uint256) {
        uint256 cap = quantity < type(uint248).max ? quantity : type(uint248).max;
        return cap - filled_;
    }

    function _fail(bytes32 tradeId, uint8 code) private {
        emit TradeFailed(tradeId, code);
    }

    /// @dev EIP-712 digest of `order` under `domain` (the domain separator, read once per batch).
    ///      abi.encode of the calldata struct validates its address and bool words (reverting on
    ///      dirty bits), as reading the fields does.
    function _hashOrder(Order calldata order, bytes32 domain) private pure returns (bytes32) {
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
