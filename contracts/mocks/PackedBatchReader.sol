// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ISettlementExchange} from "../interfaces/ISettlementExchange.sol";
import {PackedBatch} from "../settlement/PackedBatch.sol";

/// @notice Test only: PackedBatch's assembly readers beside their plain Solidity references, so a
///         test can pin one against the other on the same bytes (issue 17: hand-written assembly
///         is pinned against the plain version).
contract PackedBatchReader {
    bytes32 private constant _TYPEHASH = keccak256(
        "Order(address trader,address asset,bool isBuy,uint256 price,uint256 quantity,uint256 nonce,uint256 expiry)"
    );

    function order(bytes calldata packed) external pure returns (ISettlementExchange.Order memory, bytes32) {
        return PackedBatch.order(packed[0:PackedBatch.ORDER_BYTES], _TYPEHASH);
    }

    function orderPlain(bytes calldata packed) external pure returns (ISettlementExchange.Order memory, bytes32) {
        return PackedBatch.orderPlain(packed[0:PackedBatch.ORDER_BYTES], _TYPEHASH);
    }

    function header(bytes calldata record) external pure returns (uint256 seq, uint256 price, uint256 quantity) {
        seq = PackedBatch.seq(record[0:PackedBatch.TRADE_BYTES]);
        (price, quantity) = PackedBatch.fill(record[0:PackedBatch.TRADE_BYTES]);
    }

    function headerPlain(bytes calldata record) external pure returns (uint256 seq, uint256 price, uint256 quantity) {
        seq = PackedBatch.seqPlain(record[0:PackedBatch.TRADE_BYTES]);
        (price, quantity) = PackedBatch.fillPlain(record[0:PackedBatch.TRADE_BYTES]);
    }

    /// @dev What the exchange hashes: the struct hash of the decoded order by abi.encode.
    function structHashOf(ISettlementExchange.Order calldata decoded) external pure returns (bytes32) {
        return keccak256(abi.encode(_TYPEHASH, decoded));
    }
}
