/**
 * Real events in the backgrounds, labelled as NAB labels its real series (realKnownCause): a
 * detection of the 2008 crash is a true detection, not a false one. Chosen from external documented
 * facts only — never from where a detector fires — by one rule for every source: an event is
 * listed when a public reference (cited in README.md, "Known events") dates it and it is the kind
 * of event the series measures (a market crash for the index and its volume, a storm for its city's
 * wind and rain, the closure of US airspace for strikes per day, an earthquake with its own article
 * for the quake counts — where the catalogue shows it is one). Each is labelled at its documented date (or UTC time), on the files named.
 */
export interface KnownEvent {
  source: string;
  /** Background names (Background.name) the event is labelled on. */
  series: string[];
  /** Documented date or time, UTC (ISO 8601). */
  at: string;
  what: string;
}

export const KNOWN_EVENTS: readonly KnownEvent[] = [
  // Investopedia, "Timeline of U.S. Stock Market Crashes": within 2000–2020 it lists the dotcom crash
  // (2000–2002, in the files' probation), the 2008 financial crisis and the 2020 COVID-19 crash.
  {
    source: 'sp500',
    series: ['close', 'volume_m'],
    at: '2008-09-15',
    what: 'Lehman Brothers files for bankruptcy (2008 financial crisis)',
  },
  { source: 'sp500', series: ['close', 'volume_m'], at: '2020-02-20', what: 'start of the 2020 COVID-19 stock market crash' },
  // NOAA NHC Tropical Cyclone Report AL182012 (Hurricane Sandy): landfall near Brigantine NJ, 29 Oct 2012.
  { source: 'noaa-daily', series: ['nyc_wind', 'nyc_precipitation'], at: '2012-10-29', what: 'Hurricane Sandy reaches New York' },
  // The 9/11 Commission Report, ch. 1: the FAA grounds all civil flights on 11 Sep 2001; they resume on 13 Sep.
  { source: 'birdstrikes', series: ['strikes_per_day'], at: '2001-09-11', what: 'US airspace closed after the September 11 attacks' },
  // usgs-quakes: none. The one earthquake of that week with its own article (Wikipedia, "2018
  // Hualien earthquake", M6.4 on 6 Feb, M6.1 foreshock on 4 Feb) is 20 of the file's 1,707 catalogue
  // events (places "… Hualian, Taiwan"; ≤ 3 an hour against ~10 an hour worldwide): the feed counts
  // all M1+ US and M2.5+ world quakes, and the sequence is not an event of that count.
];

/** The known events of a background, as times (ms). */
export function knownEventTimes(source: string, name: string): number[] {
  return KNOWN_EVENTS.filter((e) => e.source === source && e.series.includes(name)).map((e) =>
    Date.parse(e.at.length <= 10 ? `${e.at}T00:00:00Z` : e.at),
  );
}
