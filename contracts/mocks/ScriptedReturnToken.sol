// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ScriptedReturnToken
/// @notice Test-only token whose transferFrom ends with exactly the bytes it was given: returned
///         as they are, or as revert data. Lets tests feed a caller every return a token can give.
contract ScriptedReturnToken {
    bytes private _output;
    bool private _reverts;

    /// @notice What the next transferFrom calls end with.
    function script(bytes calldata output, bool reverts) external {
        _output = output;
        _reverts = reverts;
    }

    /// @notice Returns (or reverts with) the scripted bytes, moving nothing.
    function transferFrom(address, address, uint256) external view returns (bool) {
        bytes memory output = _output;
        bool reverts = _reverts;
        assembly ("memory-safe") {
            if reverts { revert(add(output, 0x20), mload(output)) }
            return(add(output, 0x20), mload(output))
        }
    }
}
