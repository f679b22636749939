//! Promotion order: the roots of a request sorted so that every
//! environment comes after the environments in its `after` list (a
//! topological order over environments), ties broken by root path.

use std::collections::{BTreeMap, BTreeSet};

/// `roots` are (root path, environment); `after` gives each environment's
/// predecessors. Returns the root paths in an order that applies every
/// predecessor environment first, or the cycle as an error.
pub fn promotion_order(
    roots: &[(String, String)],
    after: &BTreeMap<String, Vec<String>>,
) -> Result<Vec<String>, String> {
    let mut rank: BTreeMap<&str, usize> = BTreeMap::new();
    let mut environments: BTreeSet<&str> = roots.iter().map(|(_, e)| e.as_str()).collect();
    environments.extend(after.keys().map(String::as_str));
    for env in &environments {
        depth(env, after, &mut rank, &mut Vec::new())?;
    }
    let mut sorted: Vec<(usize, &str)> = roots
        .iter()
        .map(|(root, env)| (rank.get(env.as_str()).copied().unwrap_or(0), root.as_str()))
        .collect();
    sorted.sort();
    Ok(sorted.into_iter().map(|(_, r)| r.to_string()).collect())
}

/// The length of the longest `after` chain below `env`, memoised in `rank`;
/// `path` is the chain being walked, to name a cycle.
fn depth<'a>(
    env: &'a str,
    after: &'a BTreeMap<String, Vec<String>>,
    rank: &mut BTreeMap<&'a str, usize>,
    path: &mut Vec<&'a str>,
) -> Result<usize, String> {
    if let Some(&known) = rank.get(env) {
        return Ok(known);
    }
    if let Some(start) = path.iter().position(|p| *p == env) {
        let mut cycle: Vec<&str> = path[start..].to_vec();
        cycle.push(env);
        return Err(format!(
            "the environments' `after` lists form a cycle: {}",
            cycle.join(" after ")
        ));
    }
    path.push(env);
    let mut deepest = 0;
    for before in after.get(env).into_iter().flatten() {
        deepest = deepest.max(depth(before, after, rank, path)? + 1);
    }
    path.pop();
    rank.insert(env, deepest);
    Ok(deepest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(e, a)| (e.to_string(), a.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    fn roots(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(r, e)| (r.to_string(), e.to_string()))
            .collect()
    }

    #[test]
    fn a_chain_orders_dev_then_staging_then_production_whatever_the_paths() {
        let after = after(&[("production", &["staging"]), ("staging", &["dev"])]);
        // Paths sort the other way round, and production has one `after`
        // entry like staging: the old heuristic put them in path order.
        let roots = roots(&[
            ("a/production", "production"),
            ("b/staging", "staging"),
            ("c/dev", "dev"),
            ("a/dev2", "dev"),
        ]);
        assert_eq!(
            promotion_order(&roots, &after).expect("no cycle"),
            ["a/dev2", "c/dev", "b/staging", "a/production"]
        );
    }

    #[test]
    fn a_cycle_is_an_error_naming_it() {
        let after = after(&[("production", &["staging"]), ("staging", &["production"])]);
        let roots = roots(&[("p", "production"), ("s", "staging")]);
        let err = promotion_order(&roots, &after).expect_err("cycle");
        assert!(err.contains("cycle"), "{err}");
        assert!(
            err.contains("production after staging after production"),
            "{err}"
        );
    }
}
