#include "fastls/bcd/graph.hpp"

#include <algorithm>
#include <numeric>

#include "fastls/common/error.hpp"

namespace fastls::bcd {
namespace {

struct UnionFind {
    std::vector<Index> parent;
    explicit UnionFind(Index n) : parent(size_t(n)) { std::iota(parent.begin(), parent.end(), Index(0)); }
    Index find(Index a) {
        while (parent[size_t(a)] != a) a = parent[size_t(a)] = parent[size_t(parent[size_t(a)])];
        return a;
    }
    void unite(Index a, Index b) { parent[size_t(find(a))] = find(b); }
};

// Adds `v` to the forest described by (member, uf) if its member neighbours
// are in pairwise distinct trees; returns whether it was added.
bool try_add(const CscMap& M, Index v, std::vector<char>& member, UnionFind& uf,
             std::vector<Index>& roots) {
    roots.clear();
    for (CscMap::InnerIterator it(M, v); it; ++it) {
        const Index u = it.row();
        if (u == v || !member[size_t(u)] || it.value() == 0.0) continue;
        const Index r = uf.find(u);
        for (Index s : roots)
            if (s == r) return false;
        roots.push_back(r);
    }
    member[size_t(v)] = 1;
    for (Index r : roots) uf.unite(r, v);
    return true;
}

}  // namespace

VectorXd forest_solve(const CscMap& M, const Block& b, const VectorXd& rhs) {
    const Index t = Index(b.size()), n = M.cols();
    std::vector<Index> pos(size_t(n), -1);
    for (Index k = 0; k < t; ++k) pos[size_t(b[size_t(k)])] = k;
    VectorXd diag = VectorXd::Zero(t), c = rhs, w = VectorXd::Zero(t), x(t);
    std::vector<Index> parent(size_t(t), -2), order;  // -2: unvisited, -1: root
    order.reserve(size_t(t));
    Index edges = 0, components = 0;
    for (Index k = 0; k < t; ++k)
        for (CscMap::InnerIterator it(M, b[size_t(k)]); it; ++it) {
            const Index p = pos[size_t(it.row())];
            if (p == k) diag[k] = it.value();
            else if (p >= 0 && it.value() != 0.0) ++edges;
        }
    for (Index root = 0; root < t; ++root) {  // BFS order and parents, one tree at a time
        if (parent[size_t(root)] != -2) continue;
        ++components;
        parent[size_t(root)] = -1;
        order.push_back(root);
        for (size_t head = order.size() - 1; head < order.size(); ++head) {
            const Index u = order[head];
            for (CscMap::InnerIterator it(M, b[size_t(u)]); it; ++it) {
                const Index v = pos[size_t(it.row())];
                if (v < 0 || v == u || it.value() == 0.0 || parent[size_t(v)] != -2) continue;
                parent[size_t(v)] = u;
                w[v] = it.value();
                order.push_back(v);
            }
        }
    }
    require(edges / 2 == t - components,
            "message passing needs forest-structured blocks; this block has a cycle");
    for (Index k = t - 1; k >= 0; --k) {  // leaves first: eliminate u into its parent
        const Index u = order[size_t(k)], p = parent[size_t(u)];
        if (diag[u] <= 0.0) throw LinAlgError("block matrix is not positive definite");
        if (p < 0) continue;
        diag[p] -= w[u] * w[u] / diag[u];
        c[p] -= w[u] * c[u] / diag[u];
    }
    for (Index k = 0; k < t; ++k) {  // roots first: back-substitute
        const Index u = order[size_t(k)], p = parent[size_t(u)];
        x[u] = (c[u] - (p >= 0 ? w[u] * x[p] : 0.0)) / diag[u];
    }
    return x;
}

Block grow_forest(const CscMap& M, const Block& order) {
    const Index n = M.cols();
    std::vector<char> member(size_t(n), 0);
    UnionFind uf(n);
    std::vector<Index> roots;
    Block out;
    for (Index v : order)
        if (try_add(M, v, member, uf, roots)) out.push_back(v);
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<Block> forest_partition(const CscMap& M, const Block& order) {
    const Index n = M.cols();
    std::vector<std::vector<char>> member;
    std::vector<UnionFind> ufs;
    std::vector<Block> blocks;
    std::vector<Index> roots;
    for (Index v : order) {
        size_t f = 0;
        for (; f < blocks.size(); ++f)
            if (try_add(M, v, member[f], ufs[f], roots)) break;
        if (f == blocks.size()) {
            member.emplace_back(size_t(n), 0);
            ufs.emplace_back(n);
            blocks.emplace_back();
            try_add(M, v, member[f], ufs[f], roots);
        }
        blocks[f].push_back(v);
    }
    for (auto& b : blocks) std::sort(b.begin(), b.end());
    return blocks;
}

std::vector<Block> greedy_coloring(const CscMap& M, const Block& order) {
    std::vector<Index> colour(size_t(M.cols()), -1);
    std::vector<Block> blocks;
    std::vector<char> used;
    for (Index v : order) {
        used.assign(blocks.size(), 0);
        for (CscMap::InnerIterator it(M, v); it; ++it)
            if (it.row() != v && it.value() != 0.0 && colour[size_t(it.row())] >= 0)
                used[size_t(colour[size_t(it.row())])] = 1;
        Index best = -1;
        for (size_t c = 0; c < blocks.size(); ++c)
            if (!used[c] && (best < 0 || blocks[c].size() < blocks[size_t(best)].size())) best = Index(c);
        if (best < 0) {
            best = Index(blocks.size());
            blocks.emplace_back();
        }
        colour[size_t(v)] = best;
        blocks[size_t(best)].push_back(v);
    }
    for (auto& b : blocks) std::sort(b.begin(), b.end());
    return blocks;
}

}  // namespace fastls::bcd
