// ESLint (flat config): typescript-eslint's type-aware rules plus Pulumi's own, which catch an
// Output interpolated into a plain template string (it renders as a warning text, not a value).
import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";

export default tseslint.config({ ignores: ["node_modules/**", "bin/**", "**/*.js", "**/*.mjs"] }, ...tseslint.configs.recommended, {
  files: ["**/*.ts"],
  languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
  plugins: { "@pulumi": pulumi },
  rules: {
    "@pulumi/no-output-in-template-literal": "error",
    "@pulumi/no-output-instance-in-template-literal": "error",
    "@typescript-eslint/no-floating-promises": "error",
    "@typescript-eslint/no-explicit-any": "off",
    "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
  },
});
