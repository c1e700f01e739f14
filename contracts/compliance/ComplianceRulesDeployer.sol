// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ComplianceRules} from "./ComplianceRules.sol";
import {IIdentityRegistry} from "../interfaces/IIdentityRegistry.sol";

/// @title ComplianceRulesDeployer
/// @notice Holds ComplianceRules' creation code so the AssetFactory stays under the EIP-170 size limit.
/// @dev Unrestricted on purpose: only `binder` can ever bind the new rule set to a token.
contract ComplianceRulesDeployer {
    /// @notice Deploy a ComplianceRules for `registry` with `admin` as admin and `binder` as binder.
    function deploy(IIdentityRegistry registry, address admin, address binder) external returns (address) {
        return address(new ComplianceRules(registry, admin, binder));
    }
}
