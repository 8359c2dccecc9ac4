/*
 * gridlink_legacy: a Mosquitto 2.0 plugin (plugin API version 5) that lets seed B's anonymous
 * station clients in, on a listener of their own, confined as GridLink's station-client principal
 * (central/src/broker/policy.ts; docs/LEGACY-SEED-B.md, "Mosquitto").
 *
 * Seed B's client has no credentials: its only settings are broker, port and client id. Stock
 * Mosquitto can let such clients in (`allow_anonymous true`) and confine their topics with a
 * `pattern` ACL, but it cannot read a request's payload, and an anonymous client naming a live
 * session's client id would take that session over (MQTT-3.1.4-2). This plugin, loaded on the
 * legacy listener only (`per_listener_settings true`), decides every connect and every access
 * check of that listener and defers nothing:
 *
 * - CONNECT: only without username and password; the client id is 1-64 of A-Z a-z 0-9 . _ -
 *   starting with a letter or digit (the central's ID_PATTERN), does not start with a reserved
 *   prefix (`reserved_prefixes`), and is not a username of the broker's password file (nor the
 *   name part of a `{kind}@{name}` one, e.g. a station credential's). The main
 *   listener runs `use_username_as_clientid`, so every authenticated session's id there is a
 *   username of that file: no anonymous client can reach a central's, an edge's, a car's or any
 *   other credential's session. Compared without regard to case. Refused: CONNACK 5.
 * - PUBLISH: only to `server/postos/request` and `server/postos/reserva`, not retained, with a
 *   payload of at most `max_payload` bytes that is one well-formed JSON object (UTF-8, at most 32
 *   levels deep) whose top-level `client_id` is a string equal to the MQTT client id, written
 *   without escapes and given once (any doubt: refused); at most `rate_burst` at once and
 *   `rate_per_second` after that per client id (a token bucket kept across reconnects until it
 *   is full again). Mosquitto acknowledges a refused QoS 1 publish and drops it.
 * - SUBSCRIBE, UNSUBSCRIBE and delivery (read): only topics and filters under `client/{own id}/`.
 *
 * Options (`plugin_opt_*` in the listener block): password_file (required), reserved_prefixes
 * (comma separated; default gridlink-,edge-,central,refused-,auto-), rate_burst (default 10),
 * rate_per_second (default 2), max_payload (default 4096), max_tracked (token buckets kept at
 * once; default 100000; past it publishes are refused). The password file is read again when
 * Mosquitto reloads (SIGHUP); if it cannot be read every connect is refused until it can.
 *
 * Refusals are counted and logged at warning level, at most 10 lines a second (a burst of 100);
 * each line carries the running counts, lines left out are counted in the next one.
 *
 * Build: `make` here (needs gcc, make and Debian's mosquitto-dev and libmosquitto-dev headers).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#define ID_MAX 64
#define JSON_MAX_DEPTH 32
#define BUCKET_CHAINS 4096
#define MAX_PREFIXES 32
#define PREFIX_MAX 64
#define LOG_BURST 100.0
#define LOG_PER_SECOND 10.0

static const char LIST_TOPIC[] = "server/postos/request";
static const char RESERVE_TOPIC[] = "server/postos/reserva";
static const char DEFAULT_PREFIXES[] = "gridlink-,edge-,central,refused-,auto-";

/* One client id's publish bucket. */
struct bucket {
	struct bucket *next;
	double tokens;
	double last; /* monotonic seconds */
	char id[ID_MAX + 1];
};

struct counts {
	unsigned long connect, topic, payload, rate, subscribe, read;
};

struct state {
	mosquitto_plugin_id_t *identifier;
	char *password_file;
	/* Usernames of the password file, sorted without regard to case. */
	char **names;
	size_t name_count;
	bool names_ok;
	char prefixes[MAX_PREFIXES][PREFIX_MAX + 1];
	size_t prefix_count;
	double rate_burst;
	double rate_per_second;
	uint32_t max_payload;
	size_t max_tracked;
	struct bucket *chains[BUCKET_CHAINS];
	size_t tracked;
	struct counts refused;
	double log_tokens;
	double log_last;
	unsigned long log_suppressed;
};

static double now_seconds(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return 0.0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- logging ------------------------------------------------------------------------------ */

/* Copies at most 64 bytes of untrusted text for a log line, printable ASCII only. */
static void printable(char *out, size_t out_size, const char *in)
{
	size_t i = 0;
	if (out_size == 0) return;
	if (in != NULL) {
		for (; in[i] != '\0' && i + 1 < out_size && i < 64; i++) {
			unsigned char c = (unsigned char)in[i];
			out[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
		}
	}
	out[i] = '\0';
}

static void log_refusal(struct state *st, const char *what, const char *client_id,
		const char *detail, const char *why)
{
	double now = now_seconds();
	double elapsed = now - st->log_last;
	st->log_last = now;
	if (elapsed > 0) st->log_tokens = fmin(LOG_BURST, st->log_tokens + elapsed * LOG_PER_SECOND);
	if (st->log_tokens < 1.0) {
		st->log_suppressed++;
		return;
	}
	st->log_tokens -= 1.0;
	char id[72], det[72];
	printable(id, sizeof id, client_id);
	printable(det, sizeof det, detail);
	const struct counts *c = &st->refused;
	mosquitto_log_printf(MOSQ_LOG_WARNING,
			"gridlink_legacy: refused %s%s%s of client '%s': %s "
			"(refused so far: connect %lu, topic %lu, payload %lu, rate %lu, subscribe %lu, "
			"read %lu; %lu lines left out)",
			what, detail ? " " : "", detail ? det : "", id, why, c->connect, c->topic,
			c->payload, c->rate, c->subscribe, c->read, st->log_suppressed);
	st->log_suppressed = 0;
}

/* ---- options ------------------------------------------------------------------------------ */

static bool parse_number(const char *text, double min, double max, double *out)
{
	char *end = NULL;
	errno = 0;
	double v = strtod(text, &end);
	if (errno != 0 || end == text || *end != '\0' || !isfinite(v) || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_prefixes(struct state *st, const char *text)
{
	st->prefix_count = 0;
	const char *p = text;
	while (*p != '\0') {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len > 0) {
			if (len > PREFIX_MAX || st->prefix_count >= MAX_PREFIXES) return false;
			memcpy(st->prefixes[st->prefix_count], p, len);
			st->prefixes[st->prefix_count][len] = '\0';
			st->prefix_count++;
		}
		p += len;
		if (*p == ',') p++;
	}
	return true;
}

/* ---- password file ------------------------------------------------------------------------ */

static int compare_names(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t count)
{
	if (names == NULL) return;
	for (size_t i = 0; i < count; i++) free(names[i]);
	free(names);
}

/* Appends a copy of `name` to a growing array. */
static bool push_name(char ***names, size_t *count, size_t *capacity, const char *name)
{
	if (*count == *capacity) {
		size_t next = *capacity ? *capacity * 2 : 64;
		char **grown = realloc(*names, next * sizeof *grown);
		if (grown == NULL) return false;
		*names = grown;
		*capacity = next;
	}
	(*names)[*count] = strdup(name);
	if ((*names)[*count] == NULL) return false;
	(*count)++;
	return true;
}

/*
 * Reads the usernames of a Mosquitto password file (`username:hash` lines; Mosquitto skips
 * empty lines and lines starting with `#`). A line without `:` is taken whole: more refused,
 * never fewer. A `{kind}@{name}` username also reserves its bare name: a station credential
 * `station@x` reads `client/x/#`, which an anonymous `x` must not share (the embedded broker
 * refuses such names too).
 */
static bool load_names(struct state *st)
{
	FILE *f = fopen(st->password_file, "r");
	if (f == NULL) return false;
	char **names = NULL;
	size_t count = 0, capacity = 0;
	char *line = NULL;
	size_t line_size = 0;
	ssize_t len;
	bool ok = true;
	while ((len = getline(&line, &line_size, f)) != -1) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
		if (len == 0 || line[0] == '#') continue;
		char *colon = strchr(line, ':');
		if (colon != NULL) *colon = '\0';
		if (line[0] == '\0') continue;
		const char *at = strchr(line, '@');
		if (!push_name(&names, &count, &capacity, line)
				|| (at != NULL && at[1] != '\0' && !push_name(&names, &count, &capacity, at + 1))) {
			ok = false;
			break;
		}
	}
	if (ferror(f)) ok = false;
	free(line);
	fclose(f);
	if (!ok) {
		free_names(names, count);
		return false;
	}
	if (count > 1) qsort(names, count, sizeof *names, compare_names);
	free_names(st->names, st->name_count);
	st->names = names;
	st->name_count = count;
	return true;
}

/* ---- client ids --------------------------------------------------------------------------- */

static bool id_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.'
		|| c == '_' || c == '-';
}

/* Why an anonymous client may not have this client id, or NULL when it may. */
static const char *client_id_problem(const struct state *st, const char *id)
{
	if (id == NULL || id[0] == '\0') return "no client id";
	size_t len = 0;
	for (; id[len] != '\0'; len++) {
		if (len >= ID_MAX) return "client id longer than 64";
		if (!id_char((unsigned char)id[len])) return "client id not of A-Z a-z 0-9 . _ -";
	}
	if (id[0] == '.' || id[0] == '_' || id[0] == '-') return "client id starts with . _ or -";
	for (size_t i = 0; i < st->prefix_count; i++) {
		size_t n = strlen(st->prefixes[i]);
		if (strncasecmp(id, st->prefixes[i], n) == 0) return "client id has a reserved prefix";
	}
	if (!st->names_ok) return "password file unreadable: every connect refused";
	if (st->name_count > 0
			&& bsearch(&id, st->names, st->name_count, sizeof *st->names, compare_names) != NULL)
		return "client id is a username of the password file";
	return NULL;
}

/* ---- token buckets ------------------------------------------------------------------------ */

static size_t chain_of(const char *id)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)id; *p != '\0'; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return h % BUCKET_CHAINS;
}

/* A bucket that has refilled to full is the same as none: dropped to bound memory. */
static bool refilled(const struct state *st, const struct bucket *b, double now)
{
	return b->tokens + (now - b->last) * st->rate_per_second >= st->rate_burst;
}

static void prune_chain(struct state *st, size_t chain, double now)
{
	struct bucket **link = &st->chains[chain];
	while (*link != NULL) {
		struct bucket *b = *link;
		if (refilled(st, b, now)) {
			*link = b->next;
			free(b);
			st->tracked--;
		} else {
			link = &b->next;
		}
	}
}

/* Takes one token of `id`'s bucket; false when it has none (or none can be kept). */
static bool take_token(struct state *st, const char *id, double now)
{
	size_t chain = chain_of(id);
	prune_chain(st, chain, now);
	for (struct bucket *b = st->chains[chain]; b != NULL; b = b->next) {
		if (strcmp(b->id, id) != 0) continue;
		double elapsed = now - b->last;
		if (elapsed > 0) b->tokens = fmin(st->rate_burst, b->tokens + elapsed * st->rate_per_second);
		b->last = now;
		if (b->tokens < 1.0) return false;
		b->tokens -= 1.0;
		return true;
	}
	if (st->tracked >= st->max_tracked) {
		for (size_t i = 0; i < BUCKET_CHAINS; i++) prune_chain(st, i, now);
		if (st->tracked >= st->max_tracked) return false;
	}
	size_t len = strlen(id);
	if (len > ID_MAX) return false;
	struct bucket *b = calloc(1, sizeof *b);
	if (b == NULL) return false;
	memcpy(b->id, id, len + 1);
	b->tokens = st->rate_burst - 1.0;
	b->last = now;
	b->next = st->chains[chain];
	st->chains[chain] = b;
	st->tracked++;
	return true;
}

/* ---- JSON --------------------------------------------------------------------------------- */

struct scan {
	const unsigned char *p;
	const unsigned char *end;
	int depth;
};

static void skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static bool hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* One UTF-8 sequence starting at a byte >= 0x80 (RFC 3629: no overlongs, no surrogates). */
static bool utf8_sequence(struct scan *s)
{
	unsigned char c = *s->p;
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf) n = 1;
	else if (c == 0xe0) { n = 2; lo = 0xa0; }
	else if (c == 0xed) { n = 2; hi = 0x9f; }
	else if (c >= 0xe1 && c <= 0xef) n = 2;
	else if (c == 0xf0) { n = 3; lo = 0x90; }
	else if (c >= 0xf1 && c <= 0xf3) n = 3;
	else if (c == 0xf4) { n = 3; hi = 0x8f; }
	else return false;
	if ((size_t)(s->end - s->p) <= n) return false;
	for (size_t i = 1; i <= n; i++) {
		unsigned char k = s->p[i];
		if (k < (i == 1 ? lo : 0x80) || k > (i == 1 ? hi : 0xbf)) return false;
	}
	s->p += n + 1;
	return true;
}

/* A string at s->p (its opening quote); its raw bytes in [*start, *start + *len). */
static bool scan_string(struct scan *s, const unsigned char **start, size_t *len, bool *escaped)
{
	if (s->p >= s->end || *s->p != '"') return false;
	s->p++;
	*start = s->p;
	*escaped = false;
	while (s->p < s->end) {
		unsigned char c = *s->p;
		if (c == '"') {
			*len = (size_t)(s->p - *start);
			s->p++;
			return true;
		}
		if (c < 0x20) return false;
		if (c == '\\') {
			*escaped = true;
			s->p++;
			if (s->p >= s->end) return false;
			c = *s->p;
			if (c == 'u') {
				if (s->end - s->p < 5) return false;
				for (int i = 1; i <= 4; i++)
					if (!hex(s->p[i])) return false;
				s->p += 5;
			} else if (strchr("\"\\/bfnrt", c) != NULL && c != '\0') {
				s->p++;
			} else {
				return false;
			}
		} else if (c >= 0x80) {
			if (!utf8_sequence(s)) return false;
		} else {
			s->p++;
		}
	}
	return false;
}

static bool digits(struct scan *s)
{
	const unsigned char *from = s->p;
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9') s->p++;
	return s->p > from;
}

static bool scan_number(struct scan *s)
{
	if (s->p < s->end && *s->p == '-') s->p++;
	if (s->p < s->end && *s->p == '0') s->p++;
	else if (!digits(s)) return false;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (!digits(s)) return false;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-')) s->p++;
		if (!digits(s)) return false;
	}
	return true;
}

static bool scan_literal(struct scan *s, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0) return false;
	s->p += n;
	return true;
}

static bool scan_value(struct scan *s);

/*
 * An object at s->p. At the top level (`id` not NULL) it also checks the member `client_id`:
 * exactly one, a string without escapes equal to `id`; a key with escapes could spell it, so
 * such keys are refused there.
 */
static bool scan_object(struct scan *s, const char *id)
{
	bool client_id_ok = false, client_id_seen = false;
	if (++s->depth > JSON_MAX_DEPTH) return false;
	s->p++; /* '{' */
	skip_ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		s->depth--;
		return id == NULL;
	}
	for (;;) {
		const unsigned char *key;
		size_t key_len;
		bool key_escaped;
		skip_ws(s);
		if (!scan_string(s, &key, &key_len, &key_escaped)) return false;
		skip_ws(s);
		if (s->p >= s->end || *s->p != ':') return false;
		s->p++;
		skip_ws(s);
		bool is_client_id = key_len == 9 && memcmp(key, "client_id", 9) == 0;
		if (id != NULL && key_escaped) return false;
		if (id != NULL && is_client_id) {
			const unsigned char *value;
			size_t value_len;
			bool value_escaped;
			if (client_id_seen) return false;
			client_id_seen = true;
			if (!scan_string(s, &value, &value_len, &value_escaped)) return false;
			client_id_ok = !value_escaped && value_len == strlen(id)
				&& memcmp(value, id, value_len) == 0;
		} else if (!scan_value(s)) {
			return false;
		}
		skip_ws(s);
		if (s->p >= s->end) return false;
		if (*s->p == ',') {
			s->p++;
			continue;
		}
		if (*s->p != '}') return false;
		s->p++;
		s->depth--;
		return id == NULL || client_id_ok;
	}
}

static bool scan_array(struct scan *s)
{
	if (++s->depth > JSON_MAX_DEPTH) return false;
	s->p++; /* '[' */
	skip_ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		s->depth--;
		return true;
	}
	for (;;) {
		skip_ws(s);
		if (!scan_value(s)) return false;
		skip_ws(s);
		if (s->p >= s->end) return false;
		if (*s->p == ',') {
			s->p++;
			continue;
		}
		if (*s->p != ']') return false;
		s->p++;
		s->depth--;
		return true;
	}
}

static bool scan_value(struct scan *s)
{
	if (s->p >= s->end) return false;
	const unsigned char *start;
	size_t len;
	bool escaped;
	switch (*s->p) {
	case '{': return scan_object(s, NULL);
	case '[': return scan_array(s);
	case '"': return scan_string(s, &start, &len, &escaped);
	case 't': return scan_literal(s, "true");
	case 'f': return scan_literal(s, "false");
	case 'n': return scan_literal(s, "null");
	default: return scan_number(s);
	}
}

/* Whether a payload is one JSON object whose top-level `client_id` is exactly `id`. */
static bool payload_names(const void *payload, uint32_t payloadlen, const char *id)
{
	if (payload == NULL || payloadlen == 0) return false;
	struct scan s = {(const unsigned char *)payload, (const unsigned char *)payload + payloadlen, 0};
	skip_ws(&s);
	if (s.p >= s.end || *s.p != '{') return false;
	if (!scan_object(&s, id)) return false;
	skip_ws(&s);
	return s.p == s.end;
}

/* ---- callbacks ---------------------------------------------------------------------------- */

static int on_basic_auth(int event, void *event_data, void *userdata)
{
	(void)event;
	struct state *st = userdata;
	struct mosquitto_evt_basic_auth *ed = event_data;
	const char *id = mosquitto_client_id(ed->client);
	const char *why = NULL;
	if (ed->username != NULL || ed->password != NULL)
		why = "this listener is for anonymous clients only";
	else
		why = client_id_problem(st, id);
	if (why == NULL) return MOSQ_ERR_SUCCESS;
	st->refused.connect++;
	log_refusal(st, "connect", id, NULL, why);
	return MOSQ_ERR_AUTH;
}

/* Whether a topic or filter lies under `client/{id}/`. */
static bool under_own(const char *topic, const char *id)
{
	static const char root[] = "client/";
	size_t root_len = sizeof root - 1, id_len = strlen(id);
	return strncmp(topic, root, root_len) == 0 && strncmp(topic + root_len, id, id_len) == 0
		&& topic[root_len + id_len] == '/' && topic[root_len + id_len + 1] != '\0';
}

static int on_acl_check(int event, void *event_data, void *userdata)
{
	(void)event;
	struct state *st = userdata;
	struct mosquitto_evt_acl_check *ed = event_data;
	const char *id = mosquitto_client_id(ed->client);
	const char *topic = ed->topic;
	/* Connected clients passed on_basic_auth; checked again in case of doubt. */
	if (topic == NULL || client_id_problem(st, id) != NULL) {
		st->refused.read++;
		return MOSQ_ERR_ACL_DENIED;
	}
	switch (ed->access) {
	case MOSQ_ACL_READ:
		if (under_own(topic, id)) return MOSQ_ERR_SUCCESS;
		st->refused.read++;
		return MOSQ_ERR_ACL_DENIED;
	case MOSQ_ACL_SUBSCRIBE:
	case MOSQ_ACL_UNSUBSCRIBE:
		if (under_own(topic, id)) return MOSQ_ERR_SUCCESS;
		st->refused.subscribe++;
		log_refusal(st, "subscribe to", id, topic, "only client/{own client id}/...");
		return MOSQ_ERR_ACL_DENIED;
	case MOSQ_ACL_WRITE:
		break;
	default:
		st->refused.read++;
		return MOSQ_ERR_ACL_DENIED;
	}
	if (!take_token(st, id, now_seconds())) {
		st->refused.rate++;
		log_refusal(st, "publish to", id, topic, "rate limit");
		return MOSQ_ERR_ACL_DENIED;
	}
	if ((strcmp(topic, LIST_TOPIC) != 0 && strcmp(topic, RESERVE_TOPIC) != 0) || ed->retain) {
		st->refused.topic++;
		log_refusal(st, "publish to", id, topic,
				ed->retain ? "retained" : "only server/postos/request and server/postos/reserva");
		return MOSQ_ERR_ACL_DENIED;
	}
	if (ed->payloadlen > st->max_payload || !payload_names(ed->payload, ed->payloadlen, id)) {
		st->refused.payload++;
		log_refusal(st, "publish to", id, topic,
				ed->payloadlen > st->max_payload
					? "payload too large"
					: "payload is not a JSON object whose client_id is the MQTT client id");
		return MOSQ_ERR_ACL_DENIED;
	}
	return MOSQ_ERR_SUCCESS;
}

static int on_reload(int event, void *event_data, void *userdata)
{
	(void)event;
	(void)event_data;
	struct state *st = userdata;
	st->names_ok = load_names(st);
	if (!st->names_ok)
		mosquitto_log_printf(MOSQ_LOG_ERR,
				"gridlink_legacy: cannot read password file %s: refusing every connect",
				st->password_file);
	return MOSQ_ERR_SUCCESS;
}

/* ---- plugin entry points ------------------------------------------------------------------ */

static void free_state(struct state *st)
{
	if (st == NULL) return;
	for (size_t i = 0; i < BUCKET_CHAINS; i++) {
		struct bucket *b = st->chains[i];
		while (b != NULL) {
			struct bucket *next = b->next;
			free(b);
			b = next;
		}
	}
	free_names(st->names, st->name_count);
	free(st->password_file);
	free(st);
}

static bool configure(struct state *st, struct mosquitto_opt *options, int option_count)
{
	double v;
	const char *prefixes = DEFAULT_PREFIXES;
	for (int i = 0; i < option_count; i++) {
		const char *key = options[i].key, *value = options[i].value;
		if (key == NULL || value == NULL) return false;
		if (strcmp(key, "password_file") == 0) {
			free(st->password_file);
			st->password_file = strdup(value);
			if (st->password_file == NULL) return false;
		} else if (strcmp(key, "reserved_prefixes") == 0) {
			prefixes = value;
		} else if (strcmp(key, "rate_burst") == 0) {
			if (!parse_number(value, 1, 100000, &v) || v != floor(v)) goto bad;
			st->rate_burst = v;
		} else if (strcmp(key, "rate_per_second") == 0) {
			if (!parse_number(value, 0.001, 100000, &v)) goto bad;
			st->rate_per_second = v;
		} else if (strcmp(key, "max_payload") == 0) {
			if (!parse_number(value, 64, 1 << 20, &v) || v != floor(v)) goto bad;
			st->max_payload = (uint32_t)v;
		} else if (strcmp(key, "max_tracked") == 0) {
			if (!parse_number(value, 1, 10000000, &v) || v != floor(v)) goto bad;
			st->max_tracked = (size_t)v;
		} else {
			mosquitto_log_printf(MOSQ_LOG_ERR, "gridlink_legacy: unknown option plugin_opt_%s", key);
			return false;
		}
		continue;
	bad:
		mosquitto_log_printf(MOSQ_LOG_ERR, "gridlink_legacy: bad value for plugin_opt_%s: %s",
				key, value);
		return false;
	}
	if (!parse_prefixes(st, prefixes)) {
		mosquitto_log_printf(MOSQ_LOG_ERR,
				"gridlink_legacy: plugin_opt_reserved_prefixes: at most %d prefixes of at most %d bytes",
				MAX_PREFIXES, PREFIX_MAX);
		return false;
	}
	if (st->password_file == NULL) {
		mosquitto_log_printf(MOSQ_LOG_ERR,
				"gridlink_legacy: plugin_opt_password_file is required (the main listener's)");
		return false;
	}
	return true;
}

int mosquitto_plugin_version(int supported_version_count, const int *supported_versions)
{
	for (int i = 0; i < supported_version_count; i++)
		if (supported_versions[i] == 5) return 5;
	return -1;
}

int mosquitto_plugin_init(mosquitto_plugin_id_t *identifier, void **userdata,
		struct mosquitto_opt *options, int option_count)
{
	struct state *st = calloc(1, sizeof *st);
	if (st == NULL) return MOSQ_ERR_NOMEM;
	st->identifier = identifier;
	st->rate_burst = 10;
	st->rate_per_second = 2;
	st->max_payload = 4096;
	st->max_tracked = 100000;
	st->log_tokens = LOG_BURST;
	st->log_last = now_seconds();
	if (!configure(st, options, option_count)) {
		free_state(st);
		return MOSQ_ERR_INVAL;
	}
	st->names_ok = load_names(st);
	if (!st->names_ok) {
		mosquitto_log_printf(MOSQ_LOG_ERR, "gridlink_legacy: cannot read password file %s",
				st->password_file);
		free_state(st);
		return MOSQ_ERR_INVAL;
	}
	if (mosquitto_callback_register(identifier, MOSQ_EVT_BASIC_AUTH, on_basic_auth, NULL, st)
			!= MOSQ_ERR_SUCCESS
		|| mosquitto_callback_register(identifier, MOSQ_EVT_ACL_CHECK, on_acl_check, NULL, st)
			!= MOSQ_ERR_SUCCESS
		|| mosquitto_callback_register(identifier, MOSQ_EVT_RELOAD, on_reload, NULL, st)
			!= MOSQ_ERR_SUCCESS) {
		mosquitto_callback_unregister(identifier, MOSQ_EVT_BASIC_AUTH, on_basic_auth, NULL);
		mosquitto_callback_unregister(identifier, MOSQ_EVT_ACL_CHECK, on_acl_check, NULL);
		mosquitto_callback_unregister(identifier, MOSQ_EVT_RELOAD, on_reload, NULL);
		free_state(st);
		return MOSQ_ERR_UNKNOWN;
	}
	*userdata = st;
	mosquitto_log_printf(MOSQ_LOG_INFO,
			"gridlink_legacy: %zu reserved usernames, %zu reserved prefixes, %g requests at once, "
			"%g a second",
			st->name_count, st->prefix_count, st->rate_burst, st->rate_per_second);
	return MOSQ_ERR_SUCCESS;
}

int mosquitto_plugin_cleanup(void *userdata, struct mosquitto_opt *options, int option_count)
{
	(void)options;
	(void)option_count;
	struct state *st = userdata;
	if (st == NULL) return MOSQ_ERR_SUCCESS;
	mosquitto_callback_unregister(st->identifier, MOSQ_EVT_BASIC_AUTH, on_basic_auth, NULL);
	mosquitto_callback_unregister(st->identifier, MOSQ_EVT_ACL_CHECK, on_acl_check, NULL);
	mosquitto_callback_unregister(st->identifier, MOSQ_EVT_RELOAD, on_reload, NULL);
	free_state(st);
	return MOSQ_ERR_SUCCESS;
}
