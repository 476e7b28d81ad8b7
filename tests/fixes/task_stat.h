/* SPDX-License-Identifier: GPL-2.0 */
/* The scheduler state and minor fault count of a task, from its /proc stat file. */
#ifndef TASK_STAT_H
#define TASK_STAT_H

#include <stdio.h>
#include <string.h>

/* state: 'R' running or runnable, 'S'/'D' asleep, '?' unreadable */
static inline void task_stat(const char *path, char *state, unsigned long *minflt)
{
	char stat[512], *p;
	FILE *f = fopen(path, "r");

	*state = '?';
	*minflt = 0;
	if (f && fgets(stat, sizeof(stat), f)) {
		p = strrchr(stat, ')');	/* after the command name, which may hold anything */
		if (p && p[1])
			sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %lu", state, minflt);
	}
	if (f)
		fclose(f);
}

#endif
