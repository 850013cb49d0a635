// Policies: which modules may run (digest pins, required signatures, proposals, imports) and with what
// (directories, environment, limits), from one TOML/JSON format shared by the library, `warden run` and `serve`.
export { POLICY_SPEC, POLICY_FEATURES, parsePolicy, loadPolicyFile, parseImportPattern, type Policy, type PolicyData, type PolicyDir, type PolicyFeature, type ImportPattern } from './schema.js';
export { checkPolicy, enforcePolicy, policyError, type PolicyFinding, type CheckOptions } from './check.js';
export { policyRunOptions, applyPolicy } from './run-options.js';
