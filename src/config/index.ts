// Configuration files shared by policies and `warden serve`: reading (TOML/JSON) and table-driven validation.
export { readConfigFile, parseConfigText, formatOf, MAX_CONFIG_BYTES, type ConfigFormat } from './file.js';
export { validate, configError, type FieldSpec, type TableFields, type Infer } from './schema.js';
