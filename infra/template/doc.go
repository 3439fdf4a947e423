// Package template holds no code of its own. Its tests read the SAM template
// (template.yaml) and samconfig.toml at the top of the module and check them
// against what the code reads, calls and emits: environment variables, IAM
// actions, the DynamoDB schema, topics, metric names and the build targets.
package template
