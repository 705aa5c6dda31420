// ESLint: typescript-eslint's strict type-checked rules over src/, test/, bench/ and scripts,
// plus the folder boundaries the layout promises (README, Layout). Formatting is Prettier's.
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import globals from "globals";
import tseslint from "typescript-eslint";

/** Imports a folder may not make: [files, patterns, why]. */
const boundaries = [
  [["src/**"], ["fastq"], "fastq is wrapped by queue/write-queue.ts alone", ["src/queue/write-queue.ts"]],
  [
    ["src/**"],
    ["@prisma/*", "better-sqlite3", "pg", "mariadb"],
    "drivers and Prisma are imported in db/ (and repository/ for Prisma's query types) only",
    ["src/db/**", "src/repository/**"],
  ],
  [["src/**"], ["next", "next/*", "@nestjs/*"], "host frameworks are imported in next/ and nest/ only", ["src/next/**", "src/nest/**"]],
  [["src/index.ts"], ["./next/*", "./nest/*", "./cli/*"], "the root entry loads without the optional host frameworks", []],
];

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "src/db/generated/**",
      "examples/nextjs/**",
      "examples/nest/**",
      "test/consumers/**",
      "node_modules/**",
      "test-output/**",
      "coverage/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // The project's idioms: template literals of numbers, non-null assertions after a check the
      // compiler cannot follow (Map.get after has, array index within bounds).
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true, allowNullish: true }],
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
      "@typescript-eslint/no-confusing-void-expression": ["error", { ignoreArrowShorthand: true, ignoreVoidOperator: true }],
      "@typescript-eslint/switch-exhaustiveness-check": ["error", { considerDefaultExhaustiveForUnions: true }],
      // Public calls are made from JavaScript too: conversions and checks the types call
      // unnecessary are the guards of the API's edge (hostile or careless input).
      "@typescript-eslint/no-unnecessary-condition": "off",
      "@typescript-eslint/no-unnecessary-type-conversion": "off",
      // async on a synchronous body turns a throw into a rejection, which the Db contract needs.
      "@typescript-eslint/require-await": "off",
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "no-restricted-syntax": [
        "error",
        { selector: "TSParameterProperty[accessibility='private']", message: "Use a #private field: one privacy style" },
        {
          selector: "PropertyDefinition[accessibility='private'], MethodDefinition[accessibility='private']",
          message: "Use #private: one privacy style",
        },
      ],
    },
  },
  ...boundaries.map(([files, patterns, message, allowed]) => ({
    files,
    ignores: allowed,
    rules: { "no-restricted-imports": ["error", { patterns: [{ group: patterns, message }] }] },
  })),
  {
    files: ["test/**", "bench/**", "scripts/**"],
    rules: {
      // Tests and benchmarks reach into results and fixtures loosely on purpose.
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/no-explicit-any": "off",
      // Test idioms: expect(obj.method), rejections of plain values on purpose, `cond && fail()`.
      "@typescript-eslint/unbound-method": "off",
      "@typescript-eslint/prefer-promise-reject-errors": "off",
      "@typescript-eslint/use-unknown-in-catch-callback-variable": "off",
      "@typescript-eslint/no-unused-expressions": "off",
      "@typescript-eslint/no-confusing-void-expression": "off",
      "@typescript-eslint/no-extraneous-class": "off",
      "@typescript-eslint/no-unsafe-class-instance-assignment": "off",
      "preserve-caught-error": "off",
      "no-restricted-syntax": "off", // Nest controllers in tests use constructor injection as Nest apps do
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: globals.node, parserOptions: { projectService: false } },
  },
  prettier,
);
