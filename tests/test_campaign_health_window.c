/* The campaign's health judgement over windows of stats periods
 * (campaign/camp_health.c): a window is judged once it holds
 * CAMP_HEALTH_MIN_EXECS execs. Checked, period by period as the parent
 * calls it: two VMM crashes in a slow period of 155 execs are not judged
 * alone, and the window they open, filled by the next period, is healthy;
 * 11 failures in a window of 1000 are unhealthy, and the run then warns;
 * a small period every exec of which failed is unhealthy at once and
 * counts in the window it opens; a KVM
 * campaign's period of 20,000 execs is judged alone. */
#include <string.h>
#include "camp_internal.h"
#include "check.h"

static struct camp_state s;

static void period(uint64_t execs, uint64_t fails)
{
	s.tot.execs += execs;
	s.tot.exec_failures += fails;
	camp_health_period(&s);
}

int main(void)
{
	char why[512];
	CHECK(camp_health_init(&s, 1) == 0, "health state for one worker");
	period(155, 2);
	CHECK(s.health.periods == 0 && !s.health.unhealthy_now,
	      "155 execs, 2 failed (1.29%%): not judged alone (%u windows)", s.health.periods);
	period(900, 0);
	CHECK(s.health.periods == 1 && s.health.unhealthy_periods == 0 && !s.health.unhealthy_now,
	      "the window filled by the next 900: 2 of 1055 (%.2f%%), healthy", 100 * s.health.last_share);
	CHECK(!camp_health_bad(&s, why, sizeof(why)), "the run so far is healthy");
	period(20000, 100);
	CHECK(s.health.periods == 2 && s.health.unhealthy_periods == 0,
	      "a KVM-sized period of 20000 with 100 failed (0.5%%) is judged alone, healthy");
	period(1000, 11);
	CHECK(s.health.periods == 3 && s.health.unhealthy_periods == 1 && s.health.unhealthy_now,
	      "11 failed of 1000 (1.1%%): an unhealthy window");
	CHECK(camp_health_bad(&s, why, sizeof(why)) && strstr(why, "1 of 3 judged windows"),
	      "the run warns: %s", why);
	period(50, 50);
	CHECK(s.health.unhealthy_now && s.health.last_share == 1.0 && s.health.periods == 3,
	      "50 execs, every one failed: unhealthy at once, before its window fills");
	period(2000, 0);
	CHECK(s.health.unhealthy_now && s.health.periods == 4,
	      "the window those 50 opened, filled by 2000 successes: judged with them (%.2f%%)",
	      100 * s.health.last_share);
	period(1000, 0);
	CHECK(!s.health.unhealthy_now && s.health.periods == 5, "the next window: healthy again (%.2f%%)",
	      100 * s.health.last_share);
	free(s.health.w);
	return check_done("test_campaign_health_window");
}
