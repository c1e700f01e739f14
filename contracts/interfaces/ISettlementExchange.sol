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
///      Failure codes in TradeFailed: see the FAIL_* constants below.
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

    struct Trade {
        bytes32 tradeId;
        Order buy;
        bytes buySignature;
        Order sell;
        bytes sellSignature;
        uint256 price;
        uint256 quantity;
    }

    event TradeSettled(
        bytes32 indexed tradeId,
        bytes32 indexed buyOrderHash,
        bytes32 indexed sellOrderHash,
        address asset,
        address buyer,
        address seller,
        uint256 price,
        uint256 quantity
    );
    event TradeFailed(bytes32 indexed tradeId, uint8 code);
    event OrderCancelled(bytes32 indexed orderHash, address indexed trader);

    error SettlementExchangeNotOrderOwner(address caller);
    error SettlementExchangeZeroAddress();

    /// @notice Settle a batch (OPERATOR_ROLE). A failing trade emits TradeFailed and is skipped.
    function settle(Trade[] calldata trades) external;

    /// @notice The trader cancels its own order on chain: the venue-independent escape hatch.
    function cancelOrder(Order calldata order) external;

    function hashOrder(Order calldata order) external view returns (bytes32);
    function filled(bytes32 orderHash) external view returns (uint256);
    function cancelled(bytes32 orderHash) external view returns (bool);
    function settled(bytes32 tradeId) external view returns (bool);
    function cashToken() external view returns (address);
}
