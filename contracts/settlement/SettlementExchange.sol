// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ISettlementExchange} from "../interfaces/ISettlementExchange.sol";

/// @title SettlementExchange
/// @notice Delivery-versus-payment settlement of trades between EIP-712 signed orders, in batches
///         submitted by the venue's operator. Investors keep assets and cash in their own wallets
///         (approved to this contract) until the transaction that settles their trade.
/// @dev Per trade: checks in the order of the FAIL_* codes, then moves the asset seller->buyer
///      and the cash buyer->seller through `transferFrom` (so the asset's compliance applies) in
///      an external self-call, so that a failing trade rolls back alone and emits TradeFailed.
contract SettlementExchange is AccessControl, ReentrancyGuard, EIP712, ISettlementExchange {
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

    /// @param cash The payment token.
    /// @param admin Receives DEFAULT_ADMIN_ROLE (grants OPERATOR_ROLE).
    constructor(IERC20 cash, address admin) EIP712("RWA Settlement", "1") {
        if (address(cash) == address(0) || admin == address(0)) revert SettlementExchangeZeroAddress();
        _cash = cash;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc ISettlementExchange
    function settle(Trade[] calldata trades) external nonReentrant onlyRole(OPERATOR_ROLE) {
        for (uint256 i = 0; i < trades.length; ++i) {
            _settleOne(trades[i]);
        }
    }

    /// @inheritdoc ISettlementExchange
    function cancelOrder(Order calldata order) external {
        if (msg.sender != order.trader) revert SettlementExchangeNotOrderOwner(msg.sender);
        bytes32 orderHash = _hashOrder(order);
        _orders[orderHash].cancelled = true;
        emit OrderCancelled(orderHash, msg.sender);
    }

    /// @inheritdoc ISettlementExchange
    function executeTransfers(address asset, address seller, address buyer, uint256 quantity, uint256 cashAmount)
        external
    {
        if (msg.sender != address(this)) revert SettlementExchangeOnlySelf(msg.sender);
        if (!_tryTransferFrom(asset, seller, buyer, quantity)) {
            revert SettlementExchangeTransferFailed(FAIL_ASSET_TRANSFER);
        }
        if (!_tryTransferFrom(address(_cash), buyer, seller, cashAmount)) {
            revert SettlementExchangeTransferFailed(FAIL_CASH_TRANSFER);
        }
    }

    /// @inheritdoc ISettlementExchange
    function hashOrder(Order calldata order) external view returns (bytes32) {
        return _hashOrder(order);
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

    /// @dev Check one trade, execute it or emit TradeFailed.
    function _settleOne(Trade calldata trade) private {
        bytes32 tradeId = trade.tradeId;
        if (_settled[tradeId]) return _fail(tradeId, FAIL_ALREADY_SETTLED);

        Order calldata buy = trade.buy;
        Order calldata sell = trade.sell;
        if (!buy.isBuy || sell.isBuy || buy.asset != sell.asset || buy.trader == sell.trader) {
            return _fail(tradeId, FAIL_INVALID_ORDERS);
        }
        bytes32 buyHash = _hashOrder(buy);
        if (!_validSignature(buyHash, trade.buySignature, buy.trader)) return _fail(tradeId, FAIL_BAD_BUY_SIGNATURE);
        bytes32 sellHash = _hashOrder(sell);
        if (!_validSignature(sellHash, trade.sellSignature, sell.trader)) {
            return _fail(tradeId, FAIL_BAD_SELL_SIGNATURE);
        }
        if (_expired(buy.expiry) || _expired(sell.expiry)) return _fail(tradeId, FAIL_EXPIRED);

        OrderState memory buyState = _orders[buyHash];
        OrderState memory sellState = _orders[sellHash];
        if (buyState.cancelled || sellState.cancelled) return _fail(tradeId, FAIL_CANCELLED);

        uint256 price = trade.price;
        uint256 quantity = trade.quantity;
        // price * quantity must fit in 256 bits (only an absurd price against a market buy's
        // maximum limit could break it), so computing the cash amount can never revert the batch
        bool overflows = quantity != 0 && price > type(uint256).max / quantity;
        if (price == 0 || price > buy.price || price < sell.price || overflows) return _fail(tradeId, FAIL_PRICE);

        if (
            quantity == 0 || quantity > _remaining(buy.quantity, buyState.filled)
                || quantity > _remaining(sell.quantity, sellState.filled)
        ) return _fail(tradeId, FAIL_QUANTITY);

        uint256 cashAmount = Math.mulDiv(price, quantity, _ASSET_UNIT);
        try this.executeTransfers(buy.asset, sell.trader, buy.trader, quantity, cashAmount) {
            // filled + quantity <= min(order quantity, 2^248 - 1): the casts cannot truncate
            _orders[buyHash].filled = uint248(buyState.filled + quantity);
            _orders[sellHash].filled = uint248(sellState.filled + quantity);
            _settled[tradeId] = true;
            emit TradeSettled(tradeId, buyHash, sellHash, buy.asset, buy.trader, sell.trader, price, quantity);
        } catch (bytes memory reason) {
            _fail(tradeId, _transferFailureCode(reason));
        }
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

    function _hashOrder(Order calldata order) private view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    ORDER_TYPEHASH,
                    order.trader,
                    order.asset,
                    order.isBuy,
                    order.price,
                    order.quantity,
                    order.nonce,
                    order.expiry
                )
            )
        );
    }

    /// @dev 65-byte (r, s, v) signatures only; never reverts (ECDSA.tryRecover).
    function _validSignature(bytes32 digest, bytes calldata signature, address signer) private pure returns (bool) {
        if (signature.length != 65) return false;
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        (address recovered, ECDSA.RecoverError error,) = ECDSA.tryRecover(digest, v, r, s);
        return error == ECDSA.RecoverError.NoError && recovered == signer;
    }

    function _expired(uint256 expiry) private view returns (bool) {
        return expiry != 0 && expiry < block.timestamp;
    }

    /// @dev The code carried by SettlementExchangeTransferFailed; any other revert of the self-call
    ///      (only possible when it ran out of gas) aborts the whole batch so the operator retries it.
    function _transferFailureCode(bytes memory reason) private pure returns (uint8) {
        if (reason.length == 36 && bytes4(reason) == SettlementExchangeTransferFailed.selector) {
            uint256 code;
            assembly ("memory-safe") {
                code := mload(add(reason, 36))
            }
            return uint8(code);
        }
        assembly ("memory-safe") {
            revert(add(reason, 32), mload(reason))
        }
    }

    /// @dev ERC-20 transferFrom that reports failure instead of reverting: false when the call
    ///      reverts, returns false, returns malformed data, or `token` has no code.
    function _tryTransferFrom(address token, address from, address to, uint256 amount) private returns (bool ok) {
        bytes memory data = abi.encodeCall(IERC20.transferFrom, (from, to, amount));
        uint256 returnSize;
        uint256 returnValue;
        assembly ("memory-safe") {
            ok := call(gas(), token, 0, add(data, 0x20), mload(data), 0, 0x20)
            returnSize := returndatasize()
            returnValue := mload(0)
        }
        if (!ok) return false;
        return returnSize == 0 ? token.code.length > 0 : (returnSize >= 32 && returnValue == 1);
    }
}
