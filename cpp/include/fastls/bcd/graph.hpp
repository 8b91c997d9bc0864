// Graph blocks for sparse quadratics (note section 4.6): exact O(|b|) solves on
// forest-structured blocks (Gaussian elimination leaf-to-root = Gaussian
// belief propagation on a tree) and the greedy constructions of forest and
// independent-set blocks, with union-find.
#pragma once
#include "fastls/bcd/design.hpp"

namespace fastls::bcd {

// Solves M_bb d = rhs when the graph of M restricted to b is a forest; throws
// InvalidArgument otherwise (cycles would be silently mis-solved).
VectorXd forest_solve(const CscMap& M, const Block& b, const VectorXd& rhs);

// Scans `order` and keeps each node whose in-block neighbours lie in pairwise
// distinct trees: a maximal forest among the nodes of `order`.
Block grow_forest(const CscMap& M, const Block& order);

// Fixed partitions visiting nodes in `order`: each node joins the first forest
// it keeps acyclic / the smallest colour class none of its neighbours has.
std::vector<Block> forest_partition(const CscMap& M, const Block& order);
std::vector<Block> greedy_coloring(const CscMap& M, const Block& order);

}  // namespace fastls::bcd
