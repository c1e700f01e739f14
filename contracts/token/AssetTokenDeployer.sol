// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AssetToken} from "./AssetToken.sol";

/// @title AssetTokenDeployer
/// @notice Holds AssetToken's creation code so the AssetFactory stays under the EIP-170 size limit.
/// @dev Unrestricted on purpose: it only does what deploying AssetToken directly would do. A token
///      is trusted by the system (distributor registration, rule binding) only through the factory.
contract AssetTokenDeployer {
    /// @notice Deploy an AssetToken with `config`; returns its address.
    function deploy(AssetToken.Config calldata config) external returns (address) {
        return address(new AssetToken(config));
    }
}
