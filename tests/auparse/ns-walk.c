// SPDX-License-Identifier: GPL-2.0
/*
 * ns-walk: walk an audit log with auparse and group each namespace INIT record with the
 * SYSCALL record of its event.
 *
 *   ns-walk LOG
 *
 * Prints one line per INIT record: its event, type name, op, namespace id and the system
 * call and pid of the event's SYSCALL record.  Exits 0 if the log has INIT records, every
 * one of them in an event with a SYSCALL record whose pid is the record's, and auparse read
 * the whole log; 1 otherwise, with the reason on stderr; 2 for bad usage.
 *
 * Built against the libauparse of patches/audit-userspace/: AUDIT_NS_INIT_* and the names
 * come from there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libaudit.h>
#include <auparse.h>

static int is_init_type(int type)
{
	return (type >= AUDIT_NS_INIT_MNT && type <= AUDIT_NS_INIT_NET) ||
	       type == AUDIT_NS_INIT_CGROUP || type == AUDIT_NS_INIT_TIME;
}

/* field: the value of NAME in the current record, or NULL. */
static const char *field(auparse_state_t *au, const char *name)
{
	if (auparse_first_field(au) != 1)
		return NULL;
	return auparse_find_field(au, name);
}

/* ns_id: the value of the record's <t>ns_id field: the last field ending in "ns_id". */
static const char *ns_id(auparse_state_t *au, char *name, size_t size)
{
	const char *id = NULL;

	if (auparse_first_field(au) != 1)
		return NULL;
	do {
		const char *n = auparse_get_field_name(au);
		size_t len = n ? strlen(n) : 0;

		if (len > 5 && strcmp(n + len - 5, "ns_id") == 0 && strncmp(n, "old_", 4) != 0) {
			snprintf(name, size, "%s", n);
			id = auparse_get_field_str(au);
		}
	} while (auparse_next_field(au) == 1);
	return id;
}

struct init_record {
	unsigned int num;
	char type[32];
	char op[16];
	char pid[24];
	char id_name[24];
	char id[24];
};

int main(int argc, char **argv)
{
	auparse_state_t *au;
	unsigned long events = 0, inits = 0, grouped = 0, alone = 0;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: ns-walk LOG\n");
		return 2;
	}
	au = auparse_init(AUSOURCE_FILE, argv[1]);
	if (au == NULL) {
		perror(argv[1]);
		return 1;
	}
	while ((rc = auparse_next_event(au)) > 0) {
		struct init_record rec[32];
		unsigned int n = 0, i, num = auparse_get_num_records(au);
		char syscall[32] = "", pid[24] = "";
		unsigned long serial = auparse_get_serial(au);

		events++;
		for (i = 0; i < num; i++) {
			const char *v;
			int type;

			if (auparse_goto_record_num(au, i) != 1)
				break;
			type = auparse_get_type(au);
			if (type == AUDIT_SYSCALL) {
				v = field(au, "syscall");
				if (v) {
					const char *s = auparse_interpret_field(au);

					snprintf(syscall, sizeof(syscall), "%s", s ? s : v);
				}
				v = field(au, "pid");
				snprintf(pid, sizeof(pid), "%s", v ? v : "");
			} else if (is_init_type(type) && n < sizeof(rec) / sizeof(*rec)) {
				struct init_record *r = &rec[n++];
				const char *name = auparse_get_type_name(au);

				r->num = i;
				snprintf(r->type, sizeof(r->type), "%s", name ? name : "?");
				v = field(au, "op");
				snprintf(r->op, sizeof(r->op), "%s", v ? v : "?");
				v = field(au, "pid");
				snprintf(r->pid, sizeof(r->pid), "%s", v ? v : "?");
				v = ns_id(au, r->id_name, sizeof(r->id_name));
				snprintf(r->id, sizeof(r->id), "%s", v ? v : "?");
				if (v == NULL)
					snprintf(r->id_name, sizeof(r->id_name), "ns_id");
			}
		}
		for (i = 0; i < n; i++) {
			struct init_record *r = &rec[i];

			inits++;
			if (strncmp(r->type, "NS_INIT_", 8) != 0) {
				fprintf(stderr, "ns-walk: event %lu: type %s has no name\n",
					serial, r->type);
				alone++;
			} else if (syscall[0] == '\0') {
				fprintf(stderr, "ns-walk: event %lu: %s %s=%s has no SYSCALL record\n",
					serial, r->type, r->id_name, r->id);
				alone++;
			} else if (strcmp(r->pid, pid) != 0) {
				fprintf(stderr, "ns-walk: event %lu: %s pid=%s, SYSCALL pid=%s\n",
					serial, r->type, r->pid, pid);
				alone++;
			} else {
				grouped++;
			}
			printf("%lu %s op=%s %s=%s <- SYSCALL %s pid=%s\n", serial, r->type, r->op,
			       r->id_name, r->id, syscall[0] ? syscall : "(none)", pid[0] ? pid : "-");
		}
	}
	auparse_destroy(au);
	printf("ns-walk: %lu events, %lu INIT records, %lu with the SYSCALL record of their event\n",
	       events, inits, grouped);
	if (rc < 0) {
		fprintf(stderr, "ns-walk: %s: auparse could not read the log\n", argv[1]);
		return 1;
	}
	if (inits == 0) {
		fprintf(stderr, "ns-walk: %s: no INIT records\n", argv[1]);
		return 1;
	}
	return alone ? 1 : 0;
}
