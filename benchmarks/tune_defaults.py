"""The sweep used to choose the ranker's defaults (README: "How the defaults were chosen").

    python benchmarks/tune_defaults.py "{'presumed': 100}" "{}" 5     # learner options, feature options, seeds

A minimal replay loop with the same ingredients as screener.active (TF-IDF from
screener.features, liblinear-dual logistic regression, max query, random
tie-breaks), stopping once 95% of the relevant records are found, so one
configuration over all 14 shared pools × 5 seeds takes minutes, not hours.
Options: C, cw (class_weight), posw (relevant class's total weight relative to the
irrelevant class's), presumed (random unscreened records added as irrelevant),
negcap/negsel (cap on irrelevant examples: hardest or random), tol.
Priors: plain RandomState(seed).choice (this sweep predates the switch to
ASReview's replace=False draw), so its numbers compare configurations with each
other; the ranking benchmark (bench_ranking.py) gives the numbers to quote.
Appends one JSON line per configuration to benchmarks/results/tune_defaults.jsonl.
"""
import sys, time, math, glob, os, json
from pathlib import Path
import numpy as np, pandas as pd, sklearn
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from screener.features import TextFeatures
from sklearn.linear_model import LogisticRegression

REF = {"Cohen_2006_ADHD":351.4,"Cohen_2006_Antihistamines":297,"Cohen_2006_NSAIDS":90.8,"Cohen_2006_OralHypoglycemics":397.4,"Cohen_2006_Triptans":254.6,"Cohen_2006_UrinaryIncontinence":188.8,"Hamilton_2022":617.4,"Kitchenham_2010":466.2,"Nagtegaal_2019":430,"SYNERGY_Donners_2021":100.6,"SYNERGY_Menon_2022":391,"SYNERGY_Oud_2018":133.2,"SYNERGY_Sep_2021":211,"SYNERGY_van_der_Valk_2021":348.2}
def priors(y, seed):
    inc = np.flatnonzero(y == 1); exc = np.flatnonzero(y == 0)
    return [int(np.random.RandomState(seed).choice(inc)), int(np.random.RandomState(seed).choice(exc))]

def simulate(X, y, seed, C=1.0, cw="balanced", presumed=0, negcap=None, negsel="hard", tol=1e-4, posw=None):
    rng = np.random.default_rng(seed)
    n = X.shape[0]
    pri = priors(y, seed)
    is_lab = np.zeros(n, bool); is_lab[pri] = True
    tie = rng.random(n) * 1e-12
    R = y.sum() - y[pri].sum(); target = math.ceil(0.95 * R - 1e-9); found = 0; steps = 0
    s = np.zeros(n)
    while found < target:
        lab = np.flatnonzero(is_lab)
        pos = lab[y[lab] == 1]; neg = lab[y[lab] == 0]
        if negcap and len(neg) > negcap:
            if negsel == "hard":
                neg = neg[np.argsort(-s[neg])[:negcap]]
            else:
                neg = rng.choice(neg, negcap, replace=False)
        idx = np.r_[pos, neg]; yl = y[idx]
        if presumed:
            unl = np.flatnonzero(~is_lab)
            pn = rng.choice(unl, min(presumed, len(unl)), replace=False)
            idx = np.r_[idx, pn]; yl = np.r_[yl, np.zeros(len(pn), int)]
        if posw is not None:
            cwd = {1: posw * (yl==0).sum() / max((yl==1).sum(),1), 0: 1.0}
        else: cwd = cw
        clf = LogisticRegression(C=C, class_weight=cwd, solver="liblinear", dual=True, tol=tol)
        clf.fit(X[idx], yl)
        s = X @ clf.coef_.ravel()
        ss = s + tie; ss[is_lab] = -np.inf
        j = int(np.argmax(ss))
        is_lab[j] = True; found += y[j]; steps += 1
    return steps

def run_pool(p, cfg, feat, seeds):
    d = pd.read_csv(p)
    for c in ("title","abstract","keywords"):
        if c in d: d[c] = d[c].fillna("")
    X = TextFeatures(**feat).fit_transform(d).astype(np.float64)
    y = d.label_included.to_numpy().astype(int)
    t0 = time.perf_counter()
    with sklearn.config_context(skip_parameter_validation=True, assume_finite=True):
        r = [simulate(X, y, s, **cfg) for s in seeds]
    return os.path.basename(p)[:-4], float(np.mean(r)), (time.perf_counter()-t0)/len(seeds)

if __name__ == "__main__":
    pools = sorted(p for p in glob.glob(str(Path(__file__).resolve().parents[2] / "shared" / "data" / "*.csv")) if not p.endswith("index.csv"))
    cfg = eval(sys.argv[1]); feat = eval(sys.argv[2]); seeds = range(int(sys.argv[3]))
    from joblib import Parallel, delayed
    out = Parallel(n_jobs=int(os.environ.get("NJ", "1")))(delayed(run_pool)(p, cfg, feat, seeds) for p in pools)
    for name, r, dt in out:
        print(f"{name:32s} {r:7.1f} ref {REF[name]:6.1f} {r/REF[name]:5.2f} {dt:6.2f}s")
    m = np.mean([o[1] for o in out]); print("MEAN", round(m,1), "ref 305.5", "worst ratio", round(max(o[1]/REF[o[0]] for o in out),3), cfg, feat)
    with open(Path(__file__).resolve().parent / "results" / "tune_defaults.jsonl", "a") as f: f.write(json.dumps({"cfg":str(cfg),"feat":str(feat),"mean":m,"pools":{o[0]:o[1] for o in out}})+"\n")
