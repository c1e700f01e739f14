// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ISettlementExchange} from "../interfaces/ISettlementExchange.sol";

/// @title PackedBatch
/// @notice Reads settle()'s packed calldata (ISettlementExchange.settle): fixed-width big-endian
///         records, TRADE_BYTES a trade, each order ORDER_BYTES with its 65-byte signature.
/// @dev Two versions of each reader: the assembly one settle() uses, and the plain Solidity one
///      (calldata slices, abi.encode) that tests/contracts/test_settlement_packed.py pins it
///      against through contracts/mocks/PackedBatchReader.sol. docs/gas.md measures the difference.
///      The caller guarantees the lengths: `record` is exactly TRADE_BYTES long, `packed` (an
///      order) exactly ORDER_BYTES, so every read below stays inside it.
library PackedBatch {
    uint256 internal constant TRADE_BYTES = 348;
    uint256 internal constant ORDER_BYTES = 154;
    /// @dev Where a trade record's orders start, and an order record's signature.
    uint256 internal constant BUY_AT = 40;
    uint256 internal constant SELL_AT = BUY_AT + ORDER_BYTES;
    uint256 internal constant SIGNATURE_AT = 89;

    /// @dev The trade's seq (uint64): the first 8 bytes of a trade record.
    function seq(bytes calldata record) internal pure returns (uint256 value) {
        assembly ("memory-safe") {
            value := shr(192, calldataload(record.offset))
        }
    }

    /// @dev The fill (price uint128, quantity uint128): bytes 8-40 of a trade record.
    function fill(bytes calldata record) internal pure returns (uint256 price, uint256 quantity) {
        assembly ("memory-safe") {
            price := shr(128, calldataload(add(record.offset, 8)))
            quantity := shr(128, calldataload(add(record.offset, 24)))
        }
    }

    /// @dev The signed Order of an order record, widened to uint256 fields, and its EIP-712 struct
    ///      hash keccak256(abi.encode(typeHash, order)): the order is written right after a word
    ///      holding `typeHash`, so the hash is taken in place. An isBuy byte other than 0 or 1
    ///      reverts (no two encodings of one order).
    function order(bytes calldata packed, bytes32 typeHash)
        internal
        pure
        returns (ISettlementExchange.Order memory decoded, bytes32 structHash)
    {
        uint256 isBuy;
        assembly ("memory-safe") {
            let base := mload(0x40)
            mstore(0x40, add(base, 256))
            decoded := add(base, 32)
            let p := packed.offset
            isBuy := byte(0, calldataload(add(p, 40)))
            mstore(base, typeHash)
            mstore(decoded, shr(96, calldataload(p)))
            mstore(add(decoded, 32), shr(96, calldataload(add(p, 20))))
            mstore(add(decoded, 64), isBuy)
            mstore(add(decoded, 96), shr(128, calldataload(add(p, 41))))
            mstore(add(decoded, 128), shr(128, calldataload(add(p, 57))))
            mstore(add(decoded, 160), shr(192, calldataload(add(p, 73))))
            mstore(add(decoded, 192), shr(192, calldataload(add(p, 81))))
            structHash := keccak256(base, 256)
        }
        if (isBuy > 1) revert ISettlementExchange.SettlementExchangeMalformedBatch();
    }

    /// @dev The 65-byte signature of an order record.
    function signature(bytes calldata packed) internal pure returns (bytes calldata) {
        return packed[SIGNATURE_AT:ORDER_BYTES];
    }

    /// @dev `seq` in plain Solidity (the pinned reference).
    function seqPlain(bytes calldata record) internal pure returns (uint256) {
        return uint64(bytes8(record[0:8]));
    }

    /// @dev `fill` in plain Solidity (the pinned reference).
    function fillPlain(bytes calldata record) internal pure returns (uint256 price, uint256 quantity) {
        price = uint128(bytes16(record[8:24]));
        quantity = uint128(bytes16(record[24:40]));
    }

    /// @dev `order` in plain Solidity (the pinned reference).
    function orderPlain(bytes calldata packed, bytes32 typeHash)
        internal
        pure
        returns (ISettlementExchange.Order memory decoded, bytes32 structHash)
    {
        uint8 isBuy = uint8(packed[40]);
        if (isBuy > 1) revert ISettlementExchange.SettlementExchangeMalformedBatch();
        decoded.trader = address(bytes20(packed[0:20]));
        decoded.asset = address(bytes20(packed[20:40]));
        decoded.isBuy = isBuy == 1;
        decoded.price = uint128(bytes16(packed[41:57]));
        decoded.quantity = uint128(bytes16(packed[57:73]));
        decoded.nonce = uint64(bytes8(packed[73:81]));
        decoded.expiry = uint64(bytes8(packed[81:89]));
        structHash = keccak256(abi.encode(typeHash, decoded));
    }
}
