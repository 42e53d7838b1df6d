#!/usr/bin/env python3
"""Classifier heads on frozen all-MiniLM-L6-v2 embeddings + cheap lexical features (hark research).

Reproduces the final numbers end to end:
  1. embeddings via ONNX Runtime (models/all-MiniLM-L6-v2/model.onnx, output `sentence_embedding`,
     already mean-pooled + L2-normalised; verified against own pooling of last_hidden_state, max diff 1e-7),
     tokenizer.json truncation 128, per-batch padding to longest, batches sorted by length; cached as .npy.
  2. features  x = [ emb(384) | w * tfidf_hash(word uni+bigrams, D=2^18) | v * zscore(dense10) ]
       tokenisation: lower-case; U+2019 -> "'"; URLs (https?://\\S+|www\\.\\S+) -> " http "; @\\w+ -> " @user ";
                     tokens = regex [@#]?\\w+(?:'\\w+)*|[^\\w\\s]  (unicode \\w; every other non-space char is its own token)
       features: unigrams + bigrams ("tok1 tok2", one ASCII space), index = FNV-1a-32(utf8) mod D, raw counts,
                 tf -> 1+ln(tf), * idf where idf = ln((1+N)/(1+df))+1 fitted on training rows, then L2-normalised row.
       dense10:  VADER polarity_scores(raw text) neg, neu, pos, compound; ln(1+c) of counts: '!' , '?',
                 negation words (list NEG), emoji (U+1F300-1FAFF, U+2600-27BF), ALL-CAPS alpha words len>=2
                 (whitespace split of raw text), number of tokens. z-scored with train mean/std.
  3. model: L2 logistic regression (sklearn lbfgs; objective sum_i cw_i*logloss_i + ||W||^2/(2C), intercept
     unpenalised). Hyper-parameters picked by CV on train only (5-fold stratified; sentiment: 80/20 holdout).
  4. calibration: binary -> Platt (a*s+b) fitted on 5-fold out-of-fold train scores; sentiment -> temperature
     on the 20% train holdout logits. Thresholds for binary heads: best F1 on valid (calibrated prob).
Usage: python heads_experiments.py [sentiment|complaint|intent|all]   (venv: numpy scikit-learn onnxruntime tokenizers vaderSentiment)
"""
import json, math, os, re, sys, time, numpy as np, scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.metrics import (roc_auc_score, f1_score, precision_recall_curve, precision_score, recall_score,
                             accuracy_score, log_loss)
from scipy.optimize import minimize_scalar

DATA = '/work/shared/data/'; MODEL = '/work/main/models/all-MiniLM-L6-v2/'
CACHE = os.environ.get('HARK_RESEARCH_CACHE', '/tmp/research/emb/')
D_HASH = 2 ** 18

def load(ds, split):
    rows = [json.loads(l) for l in open(f'{DATA}{ds}/{split}.jsonl')]
    return [r['text'] for r in rows], [r['label'] for r in rows]

# ---------------------------------------------------------------- embeddings
def embed(texts, bs=64):
    import onnxruntime as ort
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(MODEL + 'tokenizer.json'); tok.no_padding(); tok.enable_truncation(128)
    so = ort.SessionOptions(); so.intra_op_num_threads = 2; so.inter_op_num_threads = 1
    sess = ort.InferenceSession(MODEL + 'model.onnx', so, providers=['CPUExecutionProvider'])
    encs = tok.encode_batch(texts); order = np.argsort([len(e.ids) for e in encs], kind='stable')
    out = np.zeros((len(texts), 384), np.float32)
    for s in range(0, len(order), bs):
        idx = order[s:s + bs]; L = max(len(encs[i].ids) for i in idx)
        ids = np.zeros((len(idx), L), np.int64); am = np.zeros_like(ids)
        for r, i in enumerate(idx):
            n = len(encs[i].ids); ids[r, :n] = encs[i].ids; am[r, :n] = 1
        out[idx] = sess.run(['sentence_embedding'], {'input_ids': ids, 'attention_mask': am,
                                                    'token_type_ids': np.zeros_like(ids)})[0]
    return out

def emb(ds, split):
    f = f'{CACHE}{ds}.{split}.npy'
    if not os.path.exists(f):
        os.makedirs(CACHE, exist_ok=True); np.save(f, embed(load(ds, split)[0]))
    return np.load(f)

# ---------------------------------------------------------------- lexical features
def fnv1a32(s):
    h = 0x811c9dc5
    for b in s.encode('utf-8'):
        h ^= b; h = (h * 0x01000193) & 0xffffffff
    return h
URL = re.compile(r'https?://\S+|www\.\S+'); MENTION = re.compile(r'@\w+')
TOK = re.compile(r"[@#]?\w+(?:'\w+)*|[^\w\s]")
def tokens(t):
    t = t.lower().replace('\u2019', "'"); t = URL.sub(' http ', t); t = MENTION.sub(' @user ', t)
    return TOK.findall(t)
def word_ngrams(t):
    w = tokens(t); return w + [w[i] + ' ' + w[i + 1] for i in range(len(w) - 1)]
def hashed_counts(texts, dim=D_HASH):
    rows, cols, vals = [], [], []
    for r, t in enumerate(texts):
        c = {}
        for tk in word_ngrams(t):
            j = fnv1a32(tk) % dim; c[j] = c.get(j, 0) + 1
        for j, v in c.items(): rows.append(r); cols.append(j); vals.append(v)
    return sp.csr_matrix((np.array(vals, float), (rows, cols)), shape=(len(texts), dim))
def tfidf(Ctr, Cte):
    N = Ctr.shape[0]; df = np.bincount(Ctr.indices, minlength=Ctr.shape[1]); idf = np.log((1 + N) / (1 + df)) + 1
    out = []
    for C in (Ctr, Cte):
        C = C.copy(); C.data = 1 + np.log(C.data); C = sp.csr_matrix(C.multiply(idf[None, :]))
        n = np.sqrt(np.asarray(C.multiply(C).sum(1)).ravel()); n[n == 0] = 1
        out.append(sp.csr_matrix(C.multiply(1 / n[:, None])))
    return out
NEG = set("not no never nobody nothing none neither nor nowhere cannot cant can't don't dont doesn't doesnt didn't "
          "didnt isn't isnt wasn't wasnt won't wont wouldn't shouldn't couldn't aren't weren't haven't hasn't hadn't ain't".split())
EMOJI = re.compile('[\U0001F300-\U0001FAFF\u2600-\u27BF]')
_sia = None
def dense10(texts):
    global _sia
    if _sia is None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer; _sia = SentimentIntensityAnalyzer()
    F = []
    for t in texts:
        s = _sia.polarity_scores(t); w = tokens(t)
        c = [t.count('!'), t.count('?'), sum(x in NEG for x in w), len(EMOJI.findall(t)),
             sum(1 for x in t.split() if len(x) >= 2 and x.isalpha() and x.isupper()), len(w)]
        F.append([s['neg'], s['neu'], s['pos'], s['compound']] + [math.log1p(x) for x in c])
    return np.array(F)

class Data:
    """texts + cached raw features for one split"""
    def __init__(self, texts, y, E):
        self.t, self.y, self.E = texts, np.asarray(y), E
        self.W = hashed_counts(texts); self.V = dense10(texts)
    def sub(self, idx):
        d = Data.__new__(Data); d.t = [self.t[i] for i in idx]; d.y = self.y[idx]; d.E = self.E[idx]
        d.W = self.W[idx]; d.V = self.V[idx]; return d
    @staticmethod
    def cat(a, b):
        d = Data.__new__(Data); d.t = a.t + b.t; d.y = np.concatenate([a.y, b.y]); d.E = np.vstack([a.E, b.E])
        d.W = sp.vstack([a.W, b.W]).tocsr(); d.V = np.vstack([a.V, b.V]); return d

def design(TR, TE, cfg):
    btr, bte = [sp.csr_matrix(TR.E)], [sp.csr_matrix(TE.E)]
    if cfg['w'] > 0:
        A, B = tfidf(TR.W, TE.W); btr.append(A * cfg['w']); bte.append(B * cfg['w'])
    if cfg['v'] > 0:
        mu = TR.V.mean(0); sd = TR.V.std(0) + 1e-6
        btr.append(sp.csr_matrix((TR.V - mu) / sd * cfg['v'])); bte.append(sp.csr_matrix((TE.V - mu) / sd * cfg['v']))
    return sp.hstack(btr).tocsr(), sp.hstack(bte).tocsr()

def fit_lr(A, y, cfg):
    return LogisticRegression(C=cfg['C'], max_iter=5000, class_weight=cfg.get('cw')).fit(A, y)

# ---------------------------------------------------------------- binary heads
def best_f1(y, p):
    P, R, T = precision_recall_curve(y, p); F = 2 * P * R / np.maximum(P + R, 1e-12); i = np.argmax(F[:-1])
    return F[i], T[i]
def bin_report(name, y, p, thr):
    pr = (p >= thr).astype(int)
    return (f'{name}: thr {thr:.3f} acc {accuracy_score(y, pr):.3f} P {precision_score(y, pr):.3f} '
            f'R {recall_score(y, pr):.3f} F1 {f1_score(y, pr):.3f} AUC {roc_auc_score(y, p):.3f} '
            f'logloss {log_loss(y, np.clip(p, 1e-6, 1 - 1e-6)):.3f}')
def boot_f1(y, p, thr, n=1000, seed=0):
    rng = np.random.default_rng(seed); pr = (p >= thr).astype(int); f = []
    for _ in range(n):
        i = rng.integers(0, len(y), len(y)); f.append(f1_score(y[i], pr[i], zero_division=0))
    return np.percentile(f, [2.5, 97.5])

def oof_scores(TR, cfg, seed=0):
    oof = np.zeros(len(TR.y))
    for a, b in StratifiedKFold(5, shuffle=True, random_state=seed).split(TR.E, TR.y):
        A, B = design(TR.sub(a), TR.sub(b), cfg); oof[b] = fit_lr(A, TR.y[a], cfg).decision_function(B)
    return oof

def platt(s, y):
    m = LogisticRegression(C=1e6, max_iter=1000).fit(s[:, None], y); return m.coef_[0, 0], m.intercept_[0]

def run_binary(name, TR, VALS, cfgs, extra_train=None):
    """cfgs: list of configs, the first one being the pre-registered final choice (picked by train CV)."""
    print(f'\n===== {name}: train n={len(TR.y)} pos={TR.y.mean():.3f}')
    for cfg in cfgs:
        f1s, aucs = [], []
        for seed in (0, 1, 2):
            o = oof_scores(TR, cfg, seed); f1s.append(best_f1(TR.y, o)[0]); aucs.append(roc_auc_score(TR.y, o))
        print(f'  CV {cfg}: bestF1 {np.mean(f1s):.3f}±{np.std(f1s):.3f} AUC {np.mean(aucs):.3f}', flush=True)
    res = {}
    for cfg in [cfgs[0], dict(w=0, v=0, C=1)]:
        tag = 'FINAL' if cfg is cfgs[0] else 'BASELINE emb-only LR C=1'
        o = oof_scores(TR, cfg); a, b = platt(o, TR.y); thr_cv = best_f1(TR.y, 1 / (1 + np.exp(-(a * o + b))))[1]
        print(f' [{tag}] {cfg} Platt a={a:.4f} b={b:.4f}; OOF-best thr {thr_cv:.3f}')
        for vname, V in VALS:
            A, B = design(TR, V, cfg); m = fit_lr(A, TR.y, cfg); p = 1 / (1 + np.exp(-(a * m.decision_function(B) + b)))
            f, thr = best_f1(V.y, p)
            print('   ', bin_report(f'{vname} @valid-best', V.y, p, thr), ' F1 95%%CI(boot) %.3f-%.3f' % tuple(boot_f1(V.y, p, thr)))
            print('   ', bin_report(f'{vname} @0.5', V.y, p, 0.5))
            print('   ', bin_report(f'{vname} @train-OOF thr', V.y, p, thr_cv))
            if vname == VALS[0][0]: thr_main = thr
            else: print('   ', bin_report(f'{vname} @thr chosen on {VALS[0][0]}', V.y, p, thr_main))
    # VADER-only baseline: LR on dense10 only
    mu = TR.V.mean(0); sd = TR.V.std(0) + 1e-6
    m = LogisticRegression(max_iter=2000).fit((TR.V - mu) / sd, TR.y)
    for vname, V in VALS:
        p = m.predict_proba((V.V - mu) / sd)[:, 1]; f, thr = best_f1(V.y, p)
        print('   ', bin_report(f'VADER/dense10-only LR {vname} @valid-best', V.y, p, thr))

# ---------------------------------------------------------------- sentiment head
CL = ['negative', 'neutral', 'positive']
def sent_metrics(y, P):
    pr = P.argmax(1)
    return (f'macroR {recall_score(y, pr, average="macro"):.3f} macroF1 {f1_score(y, pr, average="macro"):.3f} '
            f'acc {accuracy_score(y, pr):.3f} perclassR {np.round(recall_score(y, pr, average=None), 3).tolist()} '
            f'AUC(ovr) {roc_auc_score(y, P, multi_class="ovr"):.3f} logloss {log_loss(y, P):.3f}')
def softmax(Z, T=1.0):
    Z = Z / T; Z = Z - Z.max(1, keepdims=True); e = np.exp(Z); return e / e.sum(1, keepdims=True)
def run_sentiment(cfgs):
    ds = 'tweeteval-sentiment'
    t, l = load(ds, 'train'); TR = Data(t, [CL.index(x) for x in l], emb(ds, 'train'))
    t, l = load(ds, 'valid'); V = Data(t, [CL.index(x) for x in l], emb(ds, 'valid'))
    a, b = train_test_split(np.arange(len(TR.y)), test_size=0.2, stratify=TR.y, random_state=0)
    print(f'\n===== sentiment: train n={len(TR.y)}, holdout 20% for model selection / temperature')
    for cfg in cfgs + [dict(w=0, v=0, C=1, cw='balanced')]:
        A, B = design(TR.sub(a), TR.sub(b), cfg); m = fit_lr(A, TR.y[a], cfg); Zh = m.decision_function(B)
        T = minimize_scalar(lambda T: log_loss(TR.y[b], softmax(Zh, T)), bounds=(0.05, 20), method='bounded').x
        print(f'  {cfg} holdout: {sent_metrics(TR.y[b], softmax(Zh, T))} T={T:.3f}', flush=True)
        A, B = design(TR, V, cfg); m = fit_lr(A, TR.y, cfg); Z = m.decision_function(B)
        print(f'      valid  : {sent_metrics(V.y, softmax(Z, T))}   (uncalibrated logloss {log_loss(V.y, softmax(Z)):.3f})', flush=True)
    mu = TR.V.mean(0); sd = TR.V.std(0) + 1e-6
    m = LogisticRegression(max_iter=2000, class_weight='balanced').fit((TR.V - mu) / sd, TR.y)
    print(f'  VADER/dense10-only LR valid: {sent_metrics(V.y, m.predict_proba((V.V - mu) / sd))}')
    c = np.array([_sia.polarity_scores(x)['compound'] for x in V.t]); pr = np.where(c <= -0.05, 0, np.where(c >= 0.05, 2, 1))
    print(f'  VADER compound rule (±0.05) valid: macroR {recall_score(V.y, pr, average="macro"):.3f} acc {accuracy_score(V.y, pr):.3f}')

def main(which):
    if which in ('complaint', 'all'):
        ds = 'complaints-preotiuc2019'; f = lambda l: [int(x == 'complaint') for x in l]
        t, l = load(ds, 'train'); TR = Data(t, f(l), emb(ds, 'train'))
        t, l = load(ds, 'valid'); V = Data(t, f(l), emb(ds, 'valid'))
        t, l = load('airline-complaints', 'valid'); A = Data(t, f(l), emb('airline-complaints', 'valid'))
        run_binary('complaint', TR, [('complaints-preotiuc2019 valid', V), ('airline-complaints valid (eval only)', A)],
                   [dict(w=3, v=0.1, C=1), dict(w=0, v=0.1, C=1), dict(w=3, v=0, C=1)])
    if which in ('intent', 'all'):
        f = lambda l: [int(x == 'intent') for x in l]
        t, l = load('intent-social', 'train'); TR = Data(t, f(l), emb('intent-social', 'train'))
        t, l = load('intent-social', 'valid'); V = Data(t, f(l), emb('intent-social', 'valid'))
        t, l = load('purchase-intent-iphonex', 'valid'); P = Data(t, f(l), emb('purchase-intent-iphonex', 'valid'))
        vals = [('intent-social valid', V), ('purchase-intent-iphonex valid', P)]
        run_binary('intent', TR, vals, [dict(w=2, v=0.1, C=3), dict(w=0, v=0.1, C=3), dict(w=2, v=0, C=3)])
        # licence variant: drop the 119 intent-social train posts whose text comes from airline-complaints (CC BY-NC-SA)
        air = set(load('airline-complaints', 'train')[0]) | set(load('airline-complaints', 'valid')[0])
        keep = np.array([i for i, x in enumerate(TR.t) if x not in air])
        run_binary('intent (no airline-complaints-derived train posts)', TR.sub(keep), vals, [dict(w=2, v=0.1, C=3)])
    if which in ('sentiment', 'all'):
        run_sentiment([dict(w=1, v=0.1, C=1, cw='balanced')])

if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'all')
