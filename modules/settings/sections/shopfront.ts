/** The shopfront: its route weights and the walkthrough's traffic generators. */
import { BOOLEAN, optional, parsed, section, setting } from "../kinds";
import { SHOPFRONT_VERSIONS } from "../names";

/** Route weight per subset, in percent (they add up to 100). */
export type Weights = Readonly<Record<string, number>>;

/** The one wording of a split whose weights miss 100; `got` shows the split as its source writes it. */
export function weightSumProblem(sum: number, got: string): string {
  return `weights add up to ${sum}, they must add up to 100 (got ${got})`;
}

/**
 * Parses `v1=50,v2=30,v3=15,v4=5` into weights. `setting` names the source in errors (the
 * environment variable or a command-line flag). Subsets (SHOPFRONT_VERSIONS) left out get weight 0.
 * Returns the weights, or the problems found.
 */
export function parseWeights(
  setting: string,
  text: string,
): { weights: Weights; problems: readonly string[] } {
  const subsets: readonly string[] = SHOPFRONT_VERSIONS;
  const problems: string[] = [];
  const weights: Record<string, number> = Object.fromEntries(subsets.map((s) => [s, 0]));
  const seen = new Set<string>();
  const where = `${setting}=${JSON.stringify(text)}`;
  for (const pair of text.split(",")) {
    const match = /^\s*([^=\s]*)\s*=\s*(\S*)\s*$/.exec(pair);
    if (!match || match[1] === "") {
      problems.push(`${where}: "${pair}" is not a subset=weight pair such as v1=50`);
      continue;
    }
    const [, subset, value] = match;
    if (!subsets.includes(subset)) {
      problems.push(`${where}: subset ${subset} does not exist (the subsets are ${subsets.join(", ")})`);
      continue;
    }
    if (seen.has(subset)) problems.push(`${where}: subset ${subset} is given twice`);
    seen.add(subset);
    if (/^-\d+$/.test(value)) {
      problems.push(
        `${where}: the weight of ${subset} is negative (${value}); weights are whole numbers from 0 to 100`,
      );
    } else if (!/^\d+$/.test(value) || Number(value) > 100) {
      problems.push(
        `${where}: the weight of ${subset} (${JSON.stringify(value)}) is not a whole number from 0 to 100`,
      );
    } else {
      weights[subset] = Number(value);
    }
  }
  const sum = Object.values(weights).reduce((a, b) => a + b, 0);
  if (problems.length === 0 && sum !== 100) {
    problems.push(`${setting}: ${weightSumProblem(sum, text)}`);
  }
  return { weights, problems };
}

export const SHOPFRONT = section("Shopfront", {
  SHOPFRONT_WEIGHTS: setting(
    optional(
      parsed((name, text) => {
        const { weights, problems } = parseWeights(name, text);
        return { value: weights, problems };
      }, `route weights per version, such as v1=25,v2=25,v3=25,v4=25: whole numbers adding up to 100 (versions left out get 0)`),
    ),
    {
      field: "weights",
      description:
        "Route weights of the shopfront's versions, overriding the VirtualService's (ROUTING_API=istio) or the HTTPRoute's (gateway-api).",
      default: {
        text: "unset: those of the route in manifests/routing-istio/ or manifests/routing-gateway-api/ (50/30/15/5)",
        value: undefined,
      },
      example: "v1=50,v2=30,v3=15,v4=5",
      malformed: ["v1=100,v2=x", "v1=-5,v2=105", "v9=100", "v1=50", "v1=100.0", "v1"],
    },
  ),
  SHOPFRONT_LOAD_GENERATOR: setting(BOOLEAN, {
    field: "loadGenerator",
    description: "Deploy the 2 requests/s load generator.",
    default: { text: "false", value: false },
    example: "false",
  }),
  SHOPFRONT_ERROR_GENERATOR: setting(BOOLEAN, {
    field: "errorGenerator",
    description: "Deploy the 1 request/s 404 error generator.",
    default: { text: "false", value: false },
    example: "false",
  }),
});
