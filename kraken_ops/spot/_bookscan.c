/* Optional C helpers for kraken_ops.spot.orderbook (the Spot order book's text path).
 *
 * Three functions, each with a pure-Python twin in orderbook.py that stays the definition
 * (and runs when this module is not built, or when KRAKEN_OPS_NO_EXTENSIONS is set);
 * tests/streaming/test_bookscan.py and the decoder test of test_orderbook_unit.py (run in
 * both variants) hold each equal to its twin on recorded, random and hand-made input:
 *
 *   scan_update(raw)        the groups of orderbook._UPDATE_FRAME.fullmatch(raw), or None
 *                           (the checksum group as an int, not text; a side's further
 *                           levels as _UPDATE_LEVELS.findall gives them, in a tuple);
 *                           twin: scan_update_py
 *   crc32_top(segs, start)  zlib.crc32("".join(segs[:10]).encode(), start): a side's
 *                           part of the book checksum, continuing from start;
 *                           twin: crc32_top_py
 *   apply_one(...)          one level of a book update applied to a side (its keys, checksum
 *                           segments, reference items and reference dict, changed in
 *                           place); twin: the update decoder template's level code, which
 *                           applies what this returns None for (volumes that round)
 *
 * The only state kept between calls is the last frame's pair text (scan_update hands out
 * the same str object while the pair does not change). Nothing reads outside the objects
 * it was given.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

typedef const unsigned char *ptr_t;

/* str objects are always ready from 3.12 on (PyUnicode_READY is deprecated there) */
#if PY_VERSION_HEX >= 0x030C0000
#define TEXT_READY(o) 0
#else
#define TEXT_READY(o) PyUnicode_READY(o)
#endif

/* -- frame recognition ----------------------------------------------------------------- */

static int
is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* a literal at p: advance past it */
static int
lit(ptr_t *p, ptr_t end, const char *text, Py_ssize_t n)
{
    if (end - *p < n || memcmp(*p, text, (size_t)n) != 0)
        return 0;
    *p += n;
    return 1;
}
#define LIT(p, end, s) lit((p), (end), (s), (Py_ssize_t)(sizeof(s) - 1))

/* a run of digits (at most max): its length */
static Py_ssize_t
digits(ptr_t p, ptr_t end, Py_ssize_t max)
{
    Py_ssize_t n = 0;
    while (p + n < end && n < max && is_digit(p[n]))
        n++;
    return n;
}

/* _JSON_NUMBER: (0|[1-9][0-9]{0,39})(\.[0-9]{1,40})?, followed by a non-digit.
 * Advances past it; 0 if it is not there. */
static int
number(ptr_t *p, ptr_t end)
{
    ptr_t q = *p;
    Py_ssize_t n;
    if (q >= end || !is_digit(*q))
        return 0;
    if (*q == '0') {
        q++;
    } else {
        n = digits(q, end, 40);
        q += n;
    }
    if (q < end && *q == '.') {
        n = digits(q + 1, end, 40);
        if (n == 0)
            return 0;
        q += 1 + n;
    }
    if (q < end && is_digit(*q))  /* too many digits, or a leading zero */
        return 0;
    *p = q;
    return 1;
}

/* _JSON_PLAIN_STRING: printable ASCII without '"' and '\\' */
static Py_ssize_t
plain(ptr_t p, ptr_t end)
{
    Py_ssize_t n = 0;
    while (p + n < end) {
        unsigned char c = p[n];
        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
            break;
        n++;
    }
    return n;
}

/* the significant digits of a volume 0.<zeros><digits> (NULL: not that form) */
static ptr_t
significant(ptr_t qty, Py_ssize_t n, Py_ssize_t *sig_n)
{
    ptr_t s, e = qty + n;
    if (n <= 2 || qty[0] != '0' || qty[1] != '.')
        return NULL;
    for (s = qty + 2; s < e && *s == '0'; s++)
        ;
    if (s == e)
        return NULL;
    *sig_n = e - s;
    return s;
}

/* a literal then a number: the number's span */
static int
field(ptr_t *p, ptr_t end, const char *name, Py_ssize_t name_n, ptr_t *start, Py_ssize_t *n)
{
    if (!lit(p, end, name, name_n))
        return 0;
    *start = *p;
    if (!number(p, end))
        return 0;
    *n = *p - *start;
    return 1;
}
#define FIELD(p, end, s, start, n) field((p), (end), (s), (Py_ssize_t)(sizeof(s) - 1), (start), (n))

typedef struct {
    ptr_t price, qty, sig, more;  /* NULL: the side is empty / no significant digits */
    Py_ssize_t price_n, qty_n, sig_n, more_n;
} side_t;

/* _JSON_UPDATE_SIDE followed by ']': a side's levels, the first one taken apart */
static int
side(ptr_t *p, ptr_t end, side_t *out)
{
    ptr_t q = *p;
    memset(out, 0, sizeof(*out));
    if (q < end && *q == ']') {
        *p = q + 1;
        return 1;
    }
    if (!FIELD(&q, end, "{\"price\":", &out->price, &out->price_n) || !FIELD(&q, end, ",\"qty\":", &out->qty, &out->qty_n))
        return 0;
    /* the usual volume 0.<zeros><digits>: its significant digits */
    out->sig = significant(out->qty, out->qty_n, &out->sig_n);
    if (!LIT(&q, end, "}"))
        return 0;
    out->more = q;
    while (q < end && *q == ',') {
        q++;
        if (!LIT(&q, end, "{\"price\":") || !number(&q, end) || !LIT(&q, end, ",\"qty\":") ||
            !number(&q, end) || !LIT(&q, end, "}"))
            return 0;
    }
    out->more_n = q - out->more;
    if (q >= end || *q != ']')
        return 0;
    *p = q + 1;
    return 1;
}

static PyObject *
text(ptr_t start, Py_ssize_t n)
{
    return PyUnicode_FromKindAndData(PyUnicode_1BYTE_KIND, start, n);
}

/* The further levels of a side (the text after its first level, already checked by
 * side()): a tuple of (price, qty, sig) with sig "" when the volume is not 0.<digits> -
 * what orderbook._UPDATE_LEVELS.findall gives for that text. */
static PyObject *
further_levels(ptr_t p, Py_ssize_t n)
{
    ptr_t end = p + n, q;
    Py_ssize_t count = 0, k = 0, i;
    PyObject *out;
    for (q = p; q < end; q++)
        count += *q == '{';
    out = PyTuple_New(count);
    if (out == NULL)
        return NULL;
    while (k < count) {
        ptr_t price, qty, sig;
        Py_ssize_t price_n, qty_n, sig_n = 0;
        PyObject *level;
        p += 10;  /* ,{"price": */
        price = p;
        while (*p != ',')
            p++;
        price_n = p - price;
        p += 7;  /* ,"qty": */
        qty = p;
        while (*p != '}')
            p++;
        qty_n = p - qty;
        p++;
        sig = significant(qty, qty_n, &sig_n);
        level = PyTuple_New(3);
        if (level == NULL)
            goto fail;
        PyTuple_SET_ITEM(out, k++, level);
        PyTuple_SET_ITEM(level, 0, text(price, price_n));
        PyTuple_SET_ITEM(level, 1, text(qty, qty_n));
        PyTuple_SET_ITEM(level, 2, sig != NULL ? text(sig, sig_n) : PyUnicode_New(0, 0));
        for (i = 0; i < 3; i++)
            if (PyTuple_GET_ITEM(level, i) == NULL)
                goto fail;
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

static int
put_side(PyObject *tuple, Py_ssize_t at, const side_t *s)
{
    PyObject *items[4];
    int i;
    if (s->price == NULL) {
        for (i = 0; i < 4; i++) {
            Py_INCREF(Py_None);
            PyTuple_SET_ITEM(tuple, at + i, Py_None);
        }
        return 0;
    }
    items[0] = text(s->price, s->price_n);
    items[1] = text(s->qty, s->qty_n);
    if (s->sig != NULL) {
        items[2] = text(s->sig, s->sig_n);
    } else {
        Py_INCREF(Py_None);
        items[2] = Py_None;
    }
    items[3] = further_levels(s->more, s->more_n);
    for (i = 0; i < 4; i++) {
        if (items[i] == NULL) {
            int j;
            for (j = 0; j < 4; j++)
                Py_XDECREF(items[j]);
            return -1;
        }
    }
    for (i = 0; i < 4; i++)
        PyTuple_SET_ITEM(tuple, at + i, items[i]);
    return 0;
}

/* the pair of the last frame: the same str object again while frames are for that pair
 * (no allocation, and its hash is already computed for the books' dict) */
static PyObject *last_pair = NULL;

static PyObject *
pair_text(ptr_t start, Py_ssize_t n)
{
    PyObject *pair;
    if (last_pair != NULL && PyUnicode_GET_LENGTH(last_pair) == n &&
        memcmp(PyUnicode_1BYTE_DATA(last_pair), start, (size_t)n) == 0) {
        Py_INCREF(last_pair);
        return last_pair;
    }
    pair = text(start, n);
    if (pair != NULL) {
        Py_INCREF(pair);
        Py_XSETREF(last_pair, pair);
    }
    return pair;
}

static PyObject *
scan_update(PyObject *module, PyObject *raw)
{
    ptr_t p, end, pair, ts = NULL, cs;
    Py_ssize_t pair_n, ts_n = 0, cs_n;
    side_t bids, asks;
    PyObject *out, *item;
    unsigned long long checksum = 0;
    Py_ssize_t i;

    if (!PyUnicode_Check(raw)) {
        PyErr_Format(PyExc_TypeError, "cannot scan a %.100s as a book frame", Py_TYPE(raw)->tp_name);
        return NULL;
    }
    if (TEXT_READY(raw) < 0)
        return NULL;
    if (PyUnicode_KIND(raw) != PyUnicode_1BYTE_KIND)
        Py_RETURN_NONE;
    p = PyUnicode_1BYTE_DATA(raw);
    end = p + PyUnicode_GET_LENGTH(raw);

    if (!LIT(&p, end, "{\"channel\":\"book\",\"type\":\"update\",\"data\":[{\"symbol\":\""))
        Py_RETURN_NONE;
    pair = p;
    pair_n = plain(p, end);
    p += pair_n;
    if (!LIT(&p, end, "\",\"bids\":[") || !side(&p, end, &bids) || !LIT(&p, end, ",\"asks\":[") ||
        !side(&p, end, &asks) || !LIT(&p, end, ",\"checksum\":"))
        Py_RETURN_NONE;
    cs = p;
    if (p < end && *p == '0') {
        cs_n = 1;
    } else if (p < end && *p >= '1' && *p <= '9') {
        cs_n = digits(p, end, 18);
    } else {
        Py_RETURN_NONE;
    }
    p += cs_n;
    if (LIT(&p, end, ",\"timestamp\":\"")) {
        ts = p;
        ts_n = plain(p, end);
        p += ts_n;
        if (!LIT(&p, end, "\""))
            Py_RETURN_NONE;
    }
    if (!LIT(&p, end, "}]}") || p != end)
        Py_RETURN_NONE;

    for (i = 0; i < cs_n; i++)
        checksum = checksum * 10 + (unsigned long long)(cs[i] - '0');

    out = PyTuple_New(11);
    if (out == NULL)
        return NULL;
    if ((item = pair_text(pair, pair_n)) == NULL)
        goto fail;
    PyTuple_SET_ITEM(out, 0, item);
    if (put_side(out, 1, &bids) < 0 || put_side(out, 5, &asks) < 0)
        goto fail;
    if ((item = PyLong_FromUnsignedLongLong(checksum)) == NULL)
        goto fail;
    PyTuple_SET_ITEM(out, 9, item);
    if (ts == NULL) {
        Py_INCREF(Py_None);
        item = Py_None;
    } else if ((item = text(ts, ts_n)) == NULL) {
        goto fail;
    }
    PyTuple_SET_ITEM(out, 10, item);
    return out;
fail:
    Py_DECREF(out);  /* unset slots are NULL: tuple dealloc skips them */
    return NULL;
}

/* -- CRC32 (zlib's: reflected polynomial 0xEDB88320), slicing by 8 ----------------------- */

static uint32_t crc_table[8][256];

static void
crc_init(void)
{
    uint32_t i, j, c;
    for (i = 0; i < 256; i++) {
        c = i;
        for (j = 0; j < 8; j++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[0][i] = c;
    }
    for (i = 0; i < 256; i++) {
        c = crc_table[0][i];
        for (j = 1; j < 8; j++) {
            c = crc_table[0][c & 0xff] ^ (c >> 8);
            crc_table[j][i] = c;
        }
    }
}

static uint32_t
crc_update(uint32_t crc, ptr_t p, Py_ssize_t n)
{
    while (n >= 8) {
        uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
        uint32_t hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
        crc = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^ crc_table[5][(lo >> 16) & 0xff] ^
              crc_table[4][lo >> 24] ^ crc_table[3][hi & 0xff] ^ crc_table[2][(hi >> 8) & 0xff] ^
              crc_table[1][(hi >> 16) & 0xff] ^ crc_table[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n-- > 0)
        crc = crc_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return crc;
}

static PyObject *
crc32_top(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    unsigned char buf[1024];
    PyObject *segs;
    unsigned long start;
    uint32_t crc;
    Py_ssize_t i, n, used = 0;

    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "crc32_top(segs, start) takes 2 arguments");
        return NULL;
    }
    segs = args[0];
    if (!PyList_Check(segs)) {
        PyErr_SetString(PyExc_TypeError, "crc32_top: segs must be a list of str");
        return NULL;
    }
    start = PyLong_AsUnsignedLongMask(args[1]);
    if (start == (unsigned long)-1 && PyErr_Occurred())
        return NULL;
    crc = ~(uint32_t)start;
    n = PyList_GET_SIZE(segs);
    if (n > 10)
        n = 10;
    /* the segments are short: gathered into one buffer, the CRC runs over whole words */
    for (i = 0; i < n; i++) {
        PyObject *seg = PyList_GET_ITEM(segs, i);
        Py_ssize_t len;
        if (!PyUnicode_Check(seg) || TEXT_READY(seg) < 0 || !PyUnicode_IS_ASCII(seg)) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "crc32_top: segs must be a list of ASCII str");
            return NULL;
        }
        len = PyUnicode_GET_LENGTH(seg);
        if (used + len > (Py_ssize_t)sizeof(buf)) {
            crc = crc_update(crc, buf, used);
            used = 0;
            if (len > (Py_ssize_t)sizeof(buf)) {
                crc = crc_update(crc, PyUnicode_1BYTE_DATA(seg), len);
                continue;
            }
        }
        memcpy(buf + used, PyUnicode_1BYTE_DATA(seg), (size_t)len);
        used += len;
    }
    crc = crc_update(crc, buf, used);
    return PyLong_FromUnsignedLong((unsigned long)(~crc));
}

/* -- one level of one side ------------------------------------------------------------- */

/* three ASCII texts end to end (NULL without an exception: not all ASCII) */
static PyObject *
ascii_concat(PyObject *a, PyObject *b, PyObject *c)
{
    PyObject *parts[3] = {a, b, c}, *out;
    Py_ssize_t n = 0, at = 0;
    int i;
    for (i = 0; i < 3; i++) {
        if (parts[i] == NULL)
            continue;
        if (!PyUnicode_CheckExact(parts[i]) || TEXT_READY(parts[i]) < 0 || !PyUnicode_IS_ASCII(parts[i])) {
            PyErr_Clear();
            return NULL;
        }
        n += PyUnicode_GET_LENGTH(parts[i]);
    }
    out = PyUnicode_New(n, 127);
    if (out == NULL)
        return NULL;
    for (i = 0; i < 3; i++) {
        Py_ssize_t len;
        if (parts[i] == NULL)
            continue;
        len = PyUnicode_GET_LENGTH(parts[i]);
        memcpy(PyUnicode_1BYTE_DATA(out) + at, PyUnicode_1BYTE_DATA(parts[i]), (size_t)len);
        at += len;
    }
    return out;
}

static Py_ssize_t
bisect_keys(PyObject *keys, PyObject *key)
{
    Py_ssize_t lo = 0, hi = PyList_GET_SIZE(keys);
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        int lt = PyObject_RichCompareBool(PyList_GET_ITEM(keys, mid), key, Py_LT);
        if (lt < 0)
            return -1;
        if (lt)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int
del_item(PyObject *list, Py_ssize_t i)
{
    return PyList_SetSlice(list, i, i + 1, NULL);
}

/* a new (ptext, value) pair */
static PyObject *
level_item(PyObject *ptext, PyObject *value)
{
    return PyTuple_Pack(2, ptext, value);
}

static PyObject *
apply_one(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *keys, *segs, *items, *side, *entry, *qty, *sig, *pads, *ts;
    PyObject *key, *ptoken, *ptext, *pad = NULL, *seg = NULL, *ref = NULL, *value = NULL, *item = NULL;
    Py_ssize_t key_index, depth, reorder, i, n;
    int found, result = 0;

    if (nargs != 12) {
        PyErr_SetString(PyExc_TypeError, "apply_one takes 12 arguments");
        return NULL;
    }
    keys = args[0], segs = args[1], items = args[2], side = args[3], entry = args[4];
    qty = args[6], sig = args[7], pads = args[8], ts = args[9];
    key_index = PyLong_AsSsize_t(args[5]);
    depth = PyLong_AsSsize_t(args[10]);
    reorder = PyLong_AsSsize_t(args[11]);
    if (PyErr_Occurred())
        return NULL;
    if (!PyList_CheckExact(keys) || !PyList_CheckExact(segs) || !PyList_CheckExact(items) ||
        !(side == Py_None || PyDict_CheckExact(side)) || !PyList_CheckExact(entry) || PyList_GET_SIZE(entry) < 5 ||
        key_index < 0 || key_index >= PyList_GET_SIZE(entry) || !PyUnicode_CheckExact(qty) ||
        !(sig == Py_None || PyUnicode_CheckExact(sig)) || !PyTuple_CheckExact(pads) || PyList_GET_SIZE(keys) < 1) {
        PyErr_SetString(PyExc_TypeError, "apply_one: not a book side");
        return NULL;
    }
    key = PyList_GET_ITEM(entry, key_index);
    ptoken = PyList_GET_ITEM(entry, 1);
    ptext = PyList_GET_ITEM(entry, 2);

    /* the volume's texts: the usual 0.<digits> with its pad, <digits>.<digits>, or a removal
     * ("0", 0.<zeros>); anything else is the caller's (None). sig: the volume's significant
     * digits, or None or "" (a pattern group that did not take part) when it is not
     * 0.<digits> */
    if (sig != Py_None && PyUnicode_GET_LENGTH(sig) > 0) {
        Py_ssize_t qn = PyUnicode_GET_LENGTH(qty);
        pad = qn < PyTuple_GET_SIZE(pads) ? PyTuple_GET_ITEM(pads, qn) : Py_None;
        if (pad == Py_None)
            Py_RETURN_NONE;
        seg = ascii_concat(ptoken, sig, pad);
        if (seg == NULL) {
            if (PyErr_Occurred())
                return NULL;
            Py_RETURN_NONE;
        }
    } else if (PyUnicode_GET_LENGTH(qty) == 1 && PyUnicode_READ_CHAR(qty, 0) == '0') {  /* sig None or "" */
        /* removal: seg stays NULL */
    } else if (TEXT_READY(qty) == 0 && PyUnicode_IS_ASCII(qty)) {
        /* <digits>.<digits> with at most the pair's decimals (1.5 -> token 150000000), or
         * 0.<zeros> (a removal); whole numbers and longer fractions round: the caller's */
        const char *q = (const char *)PyUnicode_1BYTE_DATA(qty);
        Py_ssize_t qn = PyUnicode_GET_LENGTH(qty), dot, fn, k;
        const char *d = memchr(q, '.', (size_t)qn);
        if (d == NULL)
            Py_RETURN_NONE;
        dot = d - q;
        fn = qn - dot - 1;
        pad = 2 + fn < PyTuple_GET_SIZE(pads) ? PyTuple_GET_ITEM(pads, 2 + fn) : Py_None;
        if (pad == Py_None || dot == 0 || !PyUnicode_CheckExact(pad) || !PyUnicode_IS_ASCII(pad) ||
            !PyUnicode_CheckExact(ptoken) || TEXT_READY(ptoken) < 0 || !PyUnicode_IS_ASCII(ptoken)) {
            PyErr_Clear();
            Py_RETURN_NONE;
        }
        if (q[0] == '0') {
            if (dot != 1)
                Py_RETURN_NONE;
            for (k = 2; k < qn; k++)
                if (q[k] != '0')
                    Py_RETURN_NONE;  /* 0.<digits> comes with its significant digits */
            /* 0.000: a removal, seg stays NULL */
        } else {
            Py_ssize_t pn = PyUnicode_GET_LENGTH(ptoken), padn = PyUnicode_GET_LENGTH(pad);
            unsigned char *w;
            seg = PyUnicode_New(pn + qn - 1 + padn, 127);
            if (seg == NULL)
                return NULL;
            w = PyUnicode_1BYTE_DATA(seg);
            memcpy(w, PyUnicode_1BYTE_DATA(ptoken), (size_t)pn);
            memcpy(w + pn, q, (size_t)dot);
            memcpy(w + pn + dot, q + dot + 1, (size_t)fn);
            memcpy(w + pn + dot + fn, PyUnicode_1BYTE_DATA(pad), (size_t)padn);
        }
    } else {
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    if (seg != NULL) {  /* the reference text: the volume padded to the pair's decimals */
        ref = ascii_concat(qty, pad, NULL);
        if (ref == NULL) {
            Py_DECREF(seg);
            if (PyErr_Occurred())
                return NULL;
            Py_RETURN_NONE;
        }
    }

    i = bisect_keys(keys, key);
    if (i < 0)
        goto fail;
    if (i >= PyList_GET_SIZE(keys)) {  /* past the end key: not a side this module made */
        PyErr_SetString(PyExc_ValueError, "apply_one: the side has no end key");
        goto fail;
    }
    found = PyObject_RichCompareBool(PyList_GET_ITEM(keys, i), key, Py_EQ);
    if (found < 0)
        goto fail;
    if (found) {
        if (seg != NULL) {  /* a new volume for a level */
            if ((value = PyTuple_Pack(2, ref, ts)) == NULL || (item = level_item(ptext, value)) == NULL)
                goto fail;
            Py_INCREF(seg);
            if (PyList_SetItem(segs, i, seg) < 0)
                goto fail;
            if (PyList_SetItem(items, i, item) < 0) {
                item = NULL;
                goto fail;
            }
            item = NULL;
            if (side != Py_None && PyDict_SetItem(side, ptext, value) < 0)
                goto fail;
        } else {  /* the level goes */
            if (del_item(keys, i) < 0 || del_item(segs, i) < 0 || del_item(items, i) < 0)
                goto fail;
            if (side != Py_None && PyDict_DelItem(side, ptext) < 0)
                goto fail;
        }
        result = i < 10;
    } else if (seg != NULL && i < depth) {  /* a new level */
        if ((value = PyTuple_Pack(2, ref, ts)) == NULL || (item = level_item(ptext, value)) == NULL)
            goto fail;
        if (PyList_Insert(keys, i, key) < 0 || PyList_Insert(segs, i, seg) < 0 || PyList_Insert(items, i, item) < 0)
            goto fail;
        Py_CLEAR(item);
        n = PyList_GET_SIZE(items);
        if (n > depth) {  /* the last level is pushed below the depth */
            if (del_item(keys, PyList_GET_SIZE(keys) - 2) < 0 || del_item(segs, PyList_GET_SIZE(segs) - 1) < 0)
                goto fail;
            if (side != Py_None) {
                PyObject *last = PyList_GET_ITEM(items, n - 1);
                if (!PyTuple_CheckExact(last) || PyTuple_GET_SIZE(last) != 2) {
                    PyErr_SetString(PyExc_TypeError, "apply_one: not a book side");
                    goto fail;
                }
                if (PyDict_DelItem(side, PyTuple_GET_ITEM(last, 0)) < 0)
                    goto fail;
            }
            if (del_item(items, n - 1) < 0)
                goto fail;
        }
        if (side != Py_None) {
            Py_ssize_t after = PyList_GET_SIZE(items) - i - 1, j;  /* levels after the new one: moved behind it */
            if (after == 0) {
                if (PyDict_SetItem(side, ptext, value) < 0)
                    goto fail;
            } else if (after <= reorder) {
                PyObject *tail = PyList_GetSlice(items, i + 1, i + 1 + after);
                if (tail == NULL)
                    goto fail;
                for (j = 0; j < after; j++) {
                    PyObject *t = PyList_GET_ITEM(tail, j);
                    if (!PyTuple_CheckExact(t) || PyTuple_GET_SIZE(t) != 2 || PyDict_DelItem(side, PyTuple_GET_ITEM(t, 0)) < 0) {
                        if (!PyErr_Occurred())
                            PyErr_SetString(PyExc_TypeError, "apply_one: not a book side");
                        Py_DECREF(tail);
                        goto fail;
                    }
                }
                if (PyDict_SetItem(side, ptext, value) < 0) {
                    Py_DECREF(tail);
                    goto fail;
                }
                for (j = 0; j < after; j++) {
                    PyObject *t = PyList_GET_ITEM(tail, j);
                    if (PyDict_SetItem(side, PyTuple_GET_ITEM(t, 0), PyTuple_GET_ITEM(t, 1)) < 0) {
                        Py_DECREF(tail);
                        goto fail;
                    }
                }
                Py_DECREF(tail);
            } else {  /* cheaper to build it again when it is read */
                result |= 2;
            }
        }
        result |= i < 10;
    }
    Py_XDECREF(seg);
    Py_XDECREF(ref);
    Py_XDECREF(value);
    return PyLong_FromLong(result);
fail:
    Py_XDECREF(seg);
    Py_XDECREF(ref);
    Py_XDECREF(value);
    Py_XDECREF(item);
    return NULL;
}

static PyMethodDef methods[] = {
    {"scan_update", (PyCFunction)scan_update, METH_O,
     "scan_update(raw) -> the groups of a Kraken book update frame (checksum as int), or None"},
    {"crc32_top", (PyCFunction)(void (*)(void))crc32_top, METH_FASTCALL,
     "crc32_top(segs, start) -> zlib.crc32(''.join(segs[:10]).encode(), start)"},
    {"apply_one", (PyCFunction)(void (*)(void))apply_one, METH_FASTCALL,
     "apply_one(keys, segs, items, side, entry, key_index, qty, sig, pads, ts, depth, reorder) -> None or int"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "kraken_ops.spot._bookscan",
    "Optional C helpers of kraken_ops.spot.orderbook (pure-Python twins in that module).", -1, methods,
};

PyMODINIT_FUNC
PyInit__bookscan(void)
{
    crc_init();
    return PyModule_Create(&module_def);
}
