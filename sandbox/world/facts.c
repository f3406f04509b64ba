/* facts.c: the real-world facts behind the sandbox world (see facts.h).
 *
 * Written into the project because no packaged data set has them. Every figure is rounded
 * and meant to give the world the right shape, not to be quoted: */
#include "sandbox/world/facts.h"

#include <string.h>

/* Airlines operating in 2024-2025, with their main hub (or largest base) first, further hubs
 * and focus cities or bases. Sources: the airlines' own route maps and annual reports, the
 * alliances' member lists (Star Alliance, SkyTeam, oneworld, as of 2025: SAS in SkyTeam since
 * September 2024, Virgin Atlantic in SkyTeam since 2023), and passengers a year from the
 * airlines' 2023 reports as summarised by IATA's World Air Transport Statistics and
 * Wikipedia's "List of largest airlines". Carriers that have stopped flying are not listed.
 * The subsidiaries through which groups fly outside their home market (Ryanair UK, easyJet
 * Europe and Switzerland, Wizz Air UK) are listed as the separate operators they are, since
 * traffic rights follow the operator's country. */
const sb_airline_fact sb_airline_facts[] = {
    /* North America */
    {"AA", "American Airlines", "US", 3, SB_MODEL_NETWORK, 210, {"DFW", "CLT", "ORD", "MIA"},
     {"PHL", "PHX", "DCA", "LAX"}},
    {"DL", "Delta Air Lines", "US", 2, SB_MODEL_NETWORK, 190, {"ATL", "MSP", "DTW", "SLC"},
     {"JFK", "LGA", "LAX", "SEA"}},
    {"UA", "United Airlines", "US", 1, SB_MODEL_NETWORK, 165, {"ORD", "DEN", "IAH", "EWR"},
     {"SFO", "IAD", "LAX", "GUM"}},
    {"WN", "Southwest Airlines", "US", 0, SB_MODEL_LOW_COST, 170, {"DEN", "LAS", "MDW", "BWI"},
     {"PHX", "DAL", "HOU", "OAK", "MCO", "BNA", "AUS", "SAN"}},
    {"B6", "JetBlue", "US", 0, SB_MODEL_LOW_COST, 40, {"JFK", "BOS", "FLL", "MCO"},
     {"SJU", "LAX", NULL}},
    {"AS", "Alaska Airlines", "US", 3, SB_MODEL_NETWORK, 44, {"SEA", "PDX", "ANC", "SFO"},
     {"LAX", "SAN", NULL}},
    {"NK", "Spirit Airlines", "US", 0, SB_MODEL_LOW_COST, 38, {"FLL", "LAS", "MCO", "DTW"},
     {"ATL", "EWR", NULL}},
    {"F9", "Frontier Airlines", "US", 0, SB_MODEL_LOW_COST, 30, {"DEN", "MCO", "LAS", "PHL"},
     {"ATL", "MCO", NULL}},
    {"G4", "Allegiant Air", "US", 0, SB_MODEL_LOW_COST, 17, {"LAS", "SFB", "PIE", "AZA"},
     {NULL}},
    {"HA", "Hawaiian Airlines", "US", 0, SB_MODEL_NETWORK, 11, {"HNL", "OGG", NULL}, {NULL}},
    {"AC", "Air Canada", "CA", 1, SB_MODEL_NETWORK, 45, {"YYZ", "YUL", "YVR", "YYC"}, {NULL}},
    {"WS", "WestJet", "CA", 0, SB_MODEL_NETWORK, 25, {"YYC", "YVR", "YYZ", NULL},
     {"YEG", "YWG", NULL}},
    {"AM", "Aeromexico", "MX", 2, SB_MODEL_NETWORK, 24, {"MEX", "GDL", "MTY", NULL}, {NULL}},
    {"Y4", "Volaris", "MX", 0, SB_MODEL_LOW_COST, 30, {"GDL", "TIJ", "MEX", "CUN"}, {NULL}},
    {"VB", "Viva Aerobus", "MX", 0, SB_MODEL_LOW_COST, 24, {"MTY", "MEX", "CUN", "GDL"},
     {NULL}},
    /* Latin America */
    {"LA", "LATAM Airlines", "CL", 0, SB_MODEL_NETWORK, 20, {"SCL", NULL}, {NULL}},
    {"LP", "LATAM Peru", "PE", 0, SB_MODEL_NETWORK, 12, {"LIM", NULL}, {NULL}},
    {"JJ", "LATAM Brasil", "BR", 0, SB_MODEL_NETWORK, 38, {"GRU", "BSB", "CGH", "GIG"}, {NULL}},
    {"G3", "Gol", "BR", 0, SB_MODEL_LOW_COST, 30, {"CGH", "GRU", "BSB", "GIG"}, {NULL}},
    {"AD", "Azul", "BR", 0, SB_MODEL_NETWORK, 30, {"VCP", "CNF", "REC", NULL}, {NULL}},
    {"AV", "Avianca", "CO", 1, SB_MODEL_NETWORK, 38, {"BOG", "MDE", NULL}, {NULL}},
    {"CM", "Copa Airlines", "PA", 1, SB_MODEL_NETWORK, 16, {"PTY", NULL}, {NULL}},
    {"AR", "Aerolineas Argentinas", "AR", 2, SB_MODEL_NETWORK, 14, {"AEP", "EZE", "COR", NULL},
     {NULL}},
    {"H2", "Sky Airline", "CL", 0, SB_MODEL_LOW_COST, 9, {"SCL", NULL}, {NULL}},
    {"JA", "JetSMART", "CL", 0, SB_MODEL_LOW_COST, 12, {"SCL", NULL}, {NULL}},
    /* Europe */
    {"FR", "Ryanair", "IE", 0, SB_MODEL_LOW_COST, 185, {"DUB", "BGY", "CRL", "BCN"},
     {"MAD", "PMI", "AGP", "LIS", "CIA", "WMI", "OPO", "BLQ"}},
    {"RK", "Ryanair UK", "GB", 0, SB_MODEL_LOW_COST, 15, {"STN", "MAN", "LTN", NULL},
     {"BHX", "EDI", NULL}},
    {"U2", "easyJet", "GB", 0, SB_MODEL_LOW_COST, 60, {"LGW", "LTN", "MAN", "BRS"},
     {"EDI", "STN", "BFS", "LPL"}},
    {"EC", "easyJet Europe", "AT", 0, SB_MODEL_LOW_COST, 25, {"CDG", "MXP", "ORY", "NCE"},
     {"AMS", "BER", "LYS", "NAP"}},
    {"DS", "easyJet Switzerland", "CH", 0, SB_MODEL_LOW_COST, 8, {"GVA", "BSL", NULL}, {NULL}},
    {"W6", "Wizz Air", "HU", 0, SB_MODEL_LOW_COST, 55, {"BUD", "OTP", "WAW", "KTW"},
     {"FCO", "VIE", "SOF", "VNO"}},
    {"W9", "Wizz Air UK", "GB", 0, SB_MODEL_LOW_COST, 5, {"LTN", "LGW", NULL}, {NULL}},
    {"LH", "Lufthansa", "DE", 1, SB_MODEL_NETWORK, 60, {"FRA", "MUC", NULL}, {"BER", "HAM"}},
    {"EW", "Eurowings", "DE", 0, SB_MODEL_LOW_COST, 25, {"DUS", "CGN", "HAM", "STR"},
     {"BER", NULL}},
    {"DE", "Condor", "DE", 0, SB_MODEL_LOW_COST, 9, {"FRA", "DUS", "MUC", NULL}, {NULL}},
    {"LX", "Swiss", "CH", 1, SB_MODEL_NETWORK, 18, {"ZRH", "GVA", NULL}, {NULL}},
    {"OS", "Austrian Airlines", "AT", 1, SB_MODEL_NETWORK, 15, {"VIE", NULL}, {NULL}},
    {"SN", "Brussels Airlines", "BE", 1, SB_MODEL_NETWORK, 9, {"BRU", NULL}, {NULL}},
    {"BA", "British Airways", "GB", 3, SB_MODEL_NETWORK, 45, {"LHR", "LGW", NULL},
     {"LCY", NULL}},
    {"VS", "Virgin Atlantic", "GB", 2, SB_MODEL_NETWORK, 6, {"LHR", "MAN", NULL}, {NULL}},
    {"LS", "Jet2", "GB", 0, SB_MODEL_LOW_COST, 17, {"MAN", "LBA", "BHX", "STN"},
     {"NCL", "GLA", "EMA", NULL}},
    {"AF", "Air France", "FR", 2, SB_MODEL_NETWORK, 45, {"CDG", "ORY", NULL}, {"NCE", "LYS"}},
    {"TO", "Transavia France", "FR", 0, SB_MODEL_LOW_COST, 8, {"ORY", "NTE", "LYS", "MPL"},
     {NULL}},
    {"KL", "KLM", "NL", 2, SB_MODEL_NETWORK, 30, {"AMS", NULL}, {NULL}},
    {"HV", "Transavia", "NL", 0, SB_MODEL_LOW_COST, 9, {"AMS", "RTM", "EIN", NULL}, {NULL}},
    {"IB", "Iberia", "ES", 3, SB_MODEL_NETWORK, 24, {"MAD", NULL}, {"BCN", NULL}},
    {"VY", "Vueling", "ES", 0, SB_MODEL_LOW_COST, 37, {"BCN", "FCO", "ORY", "MAD"},
     {"AGP", "SVQ", "BIO", "PMI"}},
    {"UX", "Air Europa", "ES", 2, SB_MODEL_NETWORK, 12, {"MAD", "PMI", NULL}, {NULL}},
    {"V7", "Volotea", "ES", 0, SB_MODEL_LOW_COST, 10, {"BOD", "NTE", "VCE", "BIO"},
     {"MRS", NULL}},
    {"TP", "TAP Air Portugal", "PT", 1, SB_MODEL_NETWORK, 16, {"LIS", "OPO", NULL}, {NULL}},
    {"AZ", "ITA Airways", "IT", 0, SB_MODEL_NETWORK, 15, {"FCO", "LIN", NULL}, {NULL}},
    {"EI", "Aer Lingus", "IE", 0, SB_MODEL_NETWORK, 13, {"DUB", "ORK", NULL}, {NULL}},
    {"SK", "SAS", "SE", 2, SB_MODEL_NETWORK, 25, {"CPH", "ARN", "OSL", NULL}, {NULL}},
    {"DY", "Norwegian", "NO", 0, SB_MODEL_LOW_COST, 24, {"OSL", "BGO", "ARN", "CPH"},
     {"TRD", "SVG", "HEL", NULL}},
    {"AY", "Finnair", "FI", 3, SB_MODEL_NETWORK, 11, {"HEL", NULL}, {NULL}},
    {"LO", "LOT Polish Airlines", "PL", 1, SB_MODEL_NETWORK, 10, {"WAW", NULL}, {NULL}},
    {"A3", "Aegean Airlines", "GR", 1, SB_MODEL_NETWORK, 15, {"ATH", "SKG", NULL}, {NULL}},
    {"RO", "TAROM", "RO", 2, SB_MODEL_NETWORK, 3, {"OTP", NULL}, {NULL}},
    {"JU", "Air Serbia", "RS", 0, SB_MODEL_NETWORK, 4, {"BEG", NULL}, {NULL}},
    {"TK", "Turkish Airlines", "TR", 1, SB_MODEL_NETWORK, 83, {"IST", "SAW", "ESB", NULL},
     {"ADB", "AYT", NULL}},
    {"PC", "Pegasus Airlines", "TR", 0, SB_MODEL_LOW_COST, 36, {"SAW", "ADB", "AYT", "ESB"},
     {NULL}},
    {"SU", "Aeroflot", "RU", 0, SB_MODEL_NETWORK, 50, {"SVO", "LED", NULL}, {"AER", "KJA"}},
    {"S7", "S7 Airlines", "RU", 0, SB_MODEL_NETWORK, 15, {"OVB", "DME", "IKT", NULL}, {NULL}},
    {"DP", "Pobeda", "RU", 0, SB_MODEL_LOW_COST, 15, {"VKO", "LED", NULL}, {NULL}},
    {"PS", "Ukraine International", "UA", 0, SB_MODEL_NETWORK, 1, {"KBP", NULL}, {NULL}},
    {"FI", "Icelandair", "IS", 0, SB_MODEL_NETWORK, 4, {"KEF", NULL}, {NULL}},
    /* Middle East and Africa */
    {"EK", "Emirates", "AE", 0, SB_MODEL_NETWORK, 52, {"DXB", NULL}, {NULL}},
    {"FZ", "flydubai", "AE", 0, SB_MODEL_LOW_COST, 14, {"DXB", NULL}, {NULL}},
    {"EY", "Etihad Airways", "AE", 0, SB_MODEL_NETWORK, 14, {"AUH", NULL}, {NULL}},
    {"G9", "Air Arabia", "AE", 0, SB_MODEL_LOW_COST, 18, {"SHJ", NULL}, {NULL}},
    {"QR", "Qatar Airways", "QA", 3, SB_MODEL_NETWORK, 40, {"DOH", NULL}, {NULL}},
    {"SV", "Saudia", "SA", 2, SB_MODEL_NETWORK, 33, {"JED", "RUH", "DMM", NULL}, {NULL}},
    {"XY", "flynas", "SA", 0, SB_MODEL_LOW_COST, 11, {"RUH", "JED", "DMM", NULL}, {NULL}},
    {"GF", "Gulf Air", "BH", 0, SB_MODEL_NETWORK, 6, {"BAH", NULL}, {NULL}},
    {"WY", "Oman Air", "OM", 3, SB_MODEL_NETWORK, 5, {"MCT", NULL}, {NULL}},
    {"KU", "Kuwait Airways", "KW", 0, SB_MODEL_NETWORK, 5, {"KWI", NULL}, {NULL}},
    {"RJ", "Royal Jordanian", "JO", 3, SB_MODEL_NETWORK, 3, {"AMM", NULL}, {NULL}},
    {"ME", "Middle East Airlines", "LB", 2, SB_MODEL_NETWORK, 3, {"BEY", NULL}, {NULL}},
    {"LY", "El Al", "IL", 0, SB_MODEL_NETWORK, 6, {"TLV", NULL}, {NULL}},
    {"MS", "EgyptAir", "EG", 1, SB_MODEL_NETWORK, 12, {"CAI", NULL}, {NULL}},
    {"AT", "Royal Air Maroc", "MA", 3, SB_MODEL_NETWORK, 7, {"CMN", NULL}, {NULL}},
    {"ET", "Ethiopian Airlines", "ET", 1, SB_MODEL_NETWORK, 17, {"ADD", NULL}, {NULL}},
    {"KQ", "Kenya Airways", "KE", 2, SB_MODEL_NETWORK, 5, {"NBO", NULL}, {NULL}},
    {"SA", "South African Airways", "ZA", 1, SB_MODEL_NETWORK, 3, {"JNB", NULL}, {NULL}},
    {"FA", "FlySafair", "ZA", 0, SB_MODEL_LOW_COST, 9, {"JNB", "CPT", NULL}, {NULL}},
    {"WB", "RwandAir", "RW", 0, SB_MODEL_NETWORK, 1, {"KGL", NULL}, {NULL}},
    {"P4", "Air Peace", "NG", 0, SB_MODEL_NETWORK, 3, {"LOS", "ABV", NULL}, {NULL}},
    {"AH", "Air Algerie", "DZ", 0, SB_MODEL_NETWORK, 6, {"ALG", NULL}, {NULL}},
    {"TU", "Tunisair", "TN", 0, SB_MODEL_NETWORK, 3, {"TUN", NULL}, {NULL}},
    /* South Asia */
    {"6E", "IndiGo", "IN", 0, SB_MODEL_LOW_COST, 100, {"DEL", "BOM", "BLR", "HYD"},
     {"CCU", "MAA", "AMD", "PNQ"}},
    {"AI", "Air India", "IN", 1, SB_MODEL_NETWORK, 40, {"DEL", "BOM", "BLR", NULL}, {NULL}},
    {"IX", "Air India Express", "IN", 0, SB_MODEL_LOW_COST, 15, {"COK", "BLR", "DEL", NULL},
     {NULL}},
    {"QP", "Akasa Air", "IN", 0, SB_MODEL_LOW_COST, 8, {"BOM", "BLR", NULL}, {NULL}},
    {"SG", "SpiceJet", "IN", 0, SB_MODEL_LOW_COST, 8, {"DEL", "BOM", NULL}, {NULL}},
    {"UL", "SriLankan Airlines", "LK", 3, SB_MODEL_NETWORK, 4, {"CMB", NULL}, {NULL}},
    {"PK", "Pakistan International", "PK", 0, SB_MODEL_NETWORK, 4, {"KHI", "LHE", "ISB", NULL},
     {NULL}},
    {"BG", "Biman Bangladesh", "BD", 0, SB_MODEL_NETWORK, 3, {"DAC", NULL}, {NULL}},
    /* East and Southeast Asia */
    {"CZ", "China Southern", "CN", 0, SB_MODEL_NETWORK, 140, {"CAN", "PKX", "SZX", "URC"},
     {"CKG", "WUH", "CGO", NULL}},
    {"MU", "China Eastern", "CN", 2, SB_MODEL_NETWORK, 115, {"PVG", "SHA", "KMG", "XIY"},
     {"PKX", "CTU", NULL}},
    {"CA", "Air China", "CN", 1, SB_MODEL_NETWORK, 100, {"PEK", "CTU", "SZX", NULL},
     {"TFU", "HGH", NULL}},
    {"3U", "Sichuan Airlines", "CN", 0, SB_MODEL_NETWORK, 35, {"CTU", "TFU", "CKG", NULL},
     {NULL}},
    {"HU", "Hainan Airlines", "CN", 0, SB_MODEL_NETWORK, 40, {"HAK", "PEK", NULL}, {NULL}},
    {"ZH", "Shenzhen Airlines", "CN", 1, SB_MODEL_NETWORK, 40, {"SZX", "CAN", NULL}, {NULL}},
    {"MF", "Xiamen Airlines", "CN", 2, SB_MODEL_NETWORK, 38, {"XMN", "FOC", "HGH", NULL},
     {NULL}},
    {"9C", "Spring Airlines", "CN", 0, SB_MODEL_LOW_COST, 25, {"SHA", "PVG", "SJW", NULL},
     {NULL}},
    {"CX", "Cathay Pacific", "HK", 3, SB_MODEL_NETWORK, 22, {"HKG", NULL}, {NULL}},
    {"UO", "HK Express", "HK", 0, SB_MODEL_LOW_COST, 6, {"HKG", NULL}, {NULL}},
    {"CI", "China Airlines", "TW", 2, SB_MODEL_NETWORK, 12, {"TPE", NULL}, {NULL}},
    {"BR", "EVA Air", "TW", 1, SB_MODEL_NETWORK, 10, {"TPE", NULL}, {NULL}},
    {"NH", "All Nippon Airways", "JP", 1, SB_MODEL_NETWORK, 50, {"HND", "NRT", "ITM", NULL},
     {"KIX", NULL}},
    {"JL", "Japan Airlines", "JP", 3, SB_MODEL_NETWORK, 40, {"HND", "NRT", "ITM", NULL},
     {"KIX", NULL}},
    {"BC", "Skymark Airlines", "JP", 0, SB_MODEL_LOW_COST, 7, {"HND", "KOJ", NULL}, {NULL}},
    {"MM", "Peach", "JP", 0, SB_MODEL_LOW_COST, 8, {"KIX", "NRT", NULL}, {NULL}},
    {"KE", "Korean Air", "KR", 2, SB_MODEL_NETWORK, 23, {"ICN", "GMP", "PUS", NULL},
     {"CJU", NULL}},
    {"OZ", "Asiana Airlines", "KR", 1, SB_MODEL_NETWORK, 15, {"ICN", "GMP", NULL}, {NULL}},
    {"7C", "Jeju Air", "KR", 0, SB_MODEL_LOW_COST, 13, {"GMP", "ICN", "CJU", NULL}, {NULL}},
    {"LJ", "Jin Air", "KR", 0, SB_MODEL_LOW_COST, 8, {"GMP", "ICN", "CJU", NULL}, {NULL}},
    {"TW", "T'way Air", "KR", 0, SB_MODEL_LOW_COST, 8, {"GMP", "ICN", "CJU", NULL}, {NULL}},
    {"SQ", "Singapore Airlines", "SG", 1, SB_MODEL_NETWORK, 26, {"SIN", NULL}, {NULL}},
    {"TR", "Scoot", "SG", 0, SB_MODEL_LOW_COST, 10, {"SIN", NULL}, {NULL}},
    {"MH", "Malaysia Airlines", "MY", 3, SB_MODEL_NETWORK, 13, {"KUL", NULL}, {NULL}},
    {"AK", "AirAsia", "MY", 0, SB_MODEL_LOW_COST, 30, {"KUL", "BKI", "PEN", NULL}, {NULL}},
    {"OD", "Batik Air Malaysia", "MY", 0, SB_MODEL_LOW_COST, 7, {"KUL", NULL}, {NULL}},
    {"TG", "Thai Airways", "TH", 1, SB_MODEL_NETWORK, 14, {"BKK", NULL}, {"HKT", NULL}},
    {"FD", "Thai AirAsia", "TH", 0, SB_MODEL_LOW_COST, 20, {"DMK", "HKT", "CNX", NULL}, {NULL}},
    {"SL", "Thai Lion Air", "TH", 0, SB_MODEL_LOW_COST, 8, {"DMK", NULL}, {NULL}},
    {"PG", "Bangkok Airways", "TH", 0, SB_MODEL_NETWORK, 4, {"BKK", "USM", NULL}, {NULL}},
    {"VN", "Vietnam Airlines", "VN", 2, SB_MODEL_NETWORK, 23, {"HAN", "SGN", "DAD", NULL},
     {NULL}},
    {"VJ", "VietJet Air", "VN", 0, SB_MODEL_LOW_COST, 25, {"SGN", "HAN", "DAD", NULL}, {NULL}},
    {"PR", "Philippine Airlines", "PH", 0, SB_MODEL_NETWORK, 15, {"MNL", "CEB", NULL}, {NULL}},
    {"5J", "Cebu Pacific", "PH", 0, SB_MODEL_LOW_COST, 24, {"MNL", "CEB", "CRK", NULL}, {NULL}},
    {"GA", "Garuda Indonesia", "ID", 2, SB_MODEL_NETWORK, 20, {"CGK", "DPS", "UPG", NULL},
     {NULL}},
    {"JT", "Lion Air", "ID", 0, SB_MODEL_LOW_COST, 40, {"CGK", "SUB", "UPG", "KNO"},
     {"DPS", "BPN", NULL}},
    {"QG", "Citilink", "ID", 0, SB_MODEL_LOW_COST, 12, {"CGK", "SUB", "HLP", NULL}, {NULL}},
    {"QZ", "Indonesia AirAsia", "ID", 0, SB_MODEL_LOW_COST, 6, {"CGK", "DPS", NULL}, {NULL}},
    /* Oceania */
    {"QF", "Qantas", "AU", 3, SB_MODEL_NETWORK, 28, {"SYD", "MEL", "BNE", "PER"}, {NULL}},
    {"JQ", "Jetstar", "AU", 0, SB_MODEL_LOW_COST, 20, {"MEL", "SYD", "BNE", "OOL"},
     {"ADL", "PER", NULL}},
    {"VA", "Virgin Australia", "AU", 0, SB_MODEL_NETWORK, 20, {"BNE", "SYD", "MEL", NULL},
     {"PER", NULL}},
    {"NZ", "Air New Zealand", "NZ", 1, SB_MODEL_NETWORK, 16, {"AKL", "CHC", "WLG", NULL},
     {NULL}},
    {"FJ", "Fiji Airways", "FJ", 3, SB_MODEL_NETWORK, 2, {"NAN", NULL}, {NULL}},
};
const size_t sb_airline_facts_len = sizeof(sb_airline_facts) / sizeof(sb_airline_facts[0]);

/* Passengers a year (millions, 2023, rounded) of the busiest airports. Sources: ACI World's
 * 2023 ranking of airports by passenger traffic and the airports' own 2023 reports, as
 * collected in Wikipedia's "List of busiest airports by passenger traffic" and the national
 * lists it links (FAA, CAAC, Eurostat, AAI). Roughly busiest first; users sort. */
const sb_airport_fact sb_airport_facts[] = {
    {"ATL", 104.7}, {"DXB", 87.0}, {"DFW", 81.8}, {"LHR", 79.2}, {"HND", 78.7}, {"DEN", 77.8},
    {"IST", 76.0},  {"LAX", 75.1}, {"ORD", 73.9}, {"DEL", 72.2}, {"CDG", 67.4}, {"CAN", 63.3},
    {"JFK", 62.5},  {"AMS", 61.9}, {"MAD", 60.2}, {"FRA", 59.4}, {"SIN", 58.9}, {"MCO", 57.7},
    {"LAS", 57.6},  {"ICN", 56.1}, {"PVG", 54.5}, {"CLT", 53.4}, {"SZX", 52.7}, {"PEK", 52.9},
    {"MIA", 52.3},  {"BKK", 51.7}, {"CGK", 51.4}, {"BOM", 51.6}, {"SFO", 50.2}, {"SEA", 50.9},
    {"BCN", 49.9},  {"EWR", 49.1}, {"PHX", 48.8}, {"MEX", 48.4}, {"KUL", 47.2}, {"IAH", 46.1},
    {"DOH", 45.9},  {"MNL", 45.3}, {"CKG", 44.8}, {"TFU", 44.8}, {"YYZ", 44.8}, {"SHA", 42.4},
    {"JED", 42.6},  {"KMG", 42.0}, {"SAW", 41.4}, {"XIY", 41.4}, {"GRU", 41.3}, {"HGH", 41.2},
    {"LGW", 40.9},  {"BOS", 40.8}, {"FCO", 40.5}, {"PKX", 39.4}, {"HKG", 39.5}, {"BOG", 38.9},
    {"SYD", 38.9},  {"SGN", 38.6}, {"RUH", 37.5}, {"BLR", 37.2}, {"MUC", 37.0}, {"MSP", 34.8},
    {"TPE", 35.4},  {"MEL", 35.3}, {"FLL", 35.1}, {"AYT", 35.0}, {"SVO", 33.9}, {"LIS", 33.6},
    {"DUB", 33.3},  {"NKG", 32.4}, {"LGA", 32.4}, {"ORY", 32.3}, {"CUN", 32.3}, {"WUH", 32.0},
    {"DTW", 32.4},  {"XMN", 31.5}, {"PHL", 28.6}, {"CSX", 31.2}, {"PMI", 31.1}, {"ZRH", 28.9},
    {"CJU", 29.6},  {"HAN", 29.7}, {"VIE", 29.5}, {"ATH", 28.2}, {"MAN", 28.1}, {"STN", 27.9},
    {"NRT", 27.9},  {"DMK", 27.0}, {"SLC", 26.9}, {"CPH", 26.8}, {"CAI", 26.7}, {"HYD", 25.0},
    {"BWI", 26.2},  {"MXP", 26.1}, {"DCA", 25.4}, {"IAD", 25.0}, {"YVR", 24.9}, {"KIX", 24.9},
    {"SAN", 24.9},  {"OSL", 25.0}, {"TPA", 24.7}, {"FUK", 24.0}, {"LIM", 24.0}, {"GMP", 23.9},
    {"SCL", 23.9},  {"BER", 23.0}, {"ARN", 23.0}, {"BNA", 22.9}, {"CTS", 22.7}, {"MDW", 22.0},
    {"BRU", 22.2},  {"AUS", 21.8}, {"BNE", 21.7}, {"DPS", 21.5}, {"HNL", 21.3}, {"YUL", 21.1},
    {"TLV", 21.0},  {"MAA", 21.0}, {"CCU", 21.0}, {"PER", 16.0}, {"AGP", 22.3}, {"OKA", 20.4},
    {"LED", 20.0},  {"DUS", 19.1}, {"AKL", 18.8}, {"PTY", 18.4}, {"JNB", 18.4}, {"HAM", 13.6},
    {"GDL", 17.2},  {"AUH", 22.0}, {"HEL", 15.3}, {"WAW", 18.5}, {"BUD", 14.7}, {"PRG", 13.8},
    {"ALC", 15.7},  {"NCE", 14.8}, {"GVA", 17.8}, {"HKT", 15.0}, {"DAL", 16.0}, {"HOU", 14.0},
    {"STL", 14.4},  {"RDU", 14.5}, {"OAK", 11.0}, {"SJC", 11.0}, {"PDX", 16.0}, {"MCI", 12.0},
    {"SJU", 12.0},  {"CGH", 22.0}, {"BSB", 15.0}, {"GIG", 10.0}, {"VCP", 12.0}, {"MTY", 12.0},
    {"TIJ", 12.0},  {"MDE", 12.0}, {"ADD", 12.0}, {"LOS", 8.0},  {"CMN", 10.0}, {"NBO", 8.0},
    {"CPT", 10.0},  {"KWI", 15.0}, {"DMM", 12.0}, {"MCT", 12.0}, {"BAH", 8.0},  {"AMM", 8.0},
    {"SHJ", 17.0},  {"ITM", 15.0}, {"NGO", 10.0}, {"PUS", 14.0}, {"CEB", 10.0}, {"SUB", 19.0},
    {"UPG", 13.0},  {"KNO", 10.0}, {"CNX", 8.0},  {"DAD", 14.0}, {"COK", 10.0}, {"AMD", 11.0},
    {"PNQ", 9.0},   {"GOI", 8.0},  {"LHE", 6.0},  {"KHI", 7.0},  {"DAC", 10.0}, {"CMB", 8.0},
    {"HAK", 24.0},  {"CTU", 31.0}, {"URC", 20.0}, {"CGO", 25.0}, {"TAO", 25.0}, {"SYX", 21.0},
    {"TSN", 18.0},  {"FOC", 15.0}, {"DLC", 15.0}, {"SHE", 18.0}, {"HRB", 18.0}, {"NNG", 13.0},
    {"ADB", 12.0},  {"ESB", 13.0}, {"DME", 20.0}, {"VKO", 16.0}, {"AER", 11.0}, {"OVB", 8.0},
    {"LTN", 16.4},  {"EDI", 14.4}, {"BHX", 11.5}, {"BRS", 10.0}, {"LIN", 10.0}, {"BGY", 15.9},
    {"NAP", 12.4},  {"VCE", 10.0}, {"BLQ", 10.0}, {"CTA", 12.3}, {"OPO", 15.3}, {"FAO", 9.6},
    {"SVQ", 8.0},   {"VLC", 10.0}, {"BIO", 6.0},  {"TFS", 12.0}, {"LPA", 15.0}, {"IBZ", 9.0},
    {"CGN", 10.0},  {"STR", 9.0},  {"LYS", 9.0},  {"MRS", 10.0}, {"TLS", 7.0},  {"BOD", 6.0},
    {"CRL", 9.0},   {"EIN", 6.8},  {"BSL", 8.0},  {"OTP", 16.0}, {"SOF", 7.0},  {"KRK", 9.0},
    {"HER", 9.0},   {"SKG", 7.0},  {"RHO", 6.0},  {"LCA", 8.0},  {"KEF", 7.7},  {"BGO", 6.0},
    {"GOT", 5.0},   {"YYC", 18.0}, {"YEG", 8.0},  {"SAT", 10.0}, {"SMF", 13.0}, {"MSY", 13.0},
    {"IND", 9.0},   {"CLE", 10.0}, {"PIT", 9.0},  {"CMH", 9.0},  {"MKE", 6.0},  {"OGG", 8.0},
    {"ANC", 5.0},   {"RSW", 10.0}, {"JAX", 7.0},  {"SNA", 11.0}, {"BUR", 6.0},  {"ONT", 6.0},
    {"OOL", 6.5},   {"ADL", 8.0},  {"CHC", 6.0},  {"WLG", 5.5},  {"CBR", 3.0},  {"CNS", 5.0},
    {"EZE", 10.0},  {"AEP", 14.0}, {"CUZ", 4.0},  {"SDU", 7.0},  {"CNF", 10.0}, {"REC", 9.0},
    {"SSA", 7.5},   {"POA", 6.0},  {"FOR", 6.0},  {"SJO", 6.0},  {"PUJ", 8.0},  {"MBJ", 5.0},
    {"HAV", 3.0},   {"MLE", 5.0},  {"SEZ", 1.5},  {"MRU", 3.5},  {"ZNZ", 1.5},  {"SSH", 6.0},
    {"HRG", 9.0},
};
const size_t sb_airport_facts_len = sizeof(sb_airport_facts) / sizeof(sb_airport_facts[0]);

/* The world's busiest routes by scheduled flights and seats, with the usual number of
 * nonstop flights a day in each direction (all carriers together, rounded). Sources: OAG's
 * yearly "Busiest Routes" reports (2023 and 2024 editions), Wikipedia's "List of busiest
 * passenger air routes", and the carriers' published timetables for the frequencies of the
 * trunks the issue names (London-New York, Sydney-Melbourne, Seoul Gimpo-Jeju). City pairs
 * served from several airports are listed per airport pair. Busiest first, roughly. */
const sb_route_fact sb_route_facts[] = {
    /* Asia-Pacific domestic */
    {"CJU", "GMP", 95}, {"CTS", "HND", 55}, {"FUK", "HND", 52}, {"MEL", "SYD", 50},
    {"HAN", "SGN", 48}, {"JED", "RUH", 36}, {"BOM", "DEL", 40}, {"PEK", "SHA", 30},
    {"HND", "OKA", 28}, {"CGK", "DPS", 28}, {"CGK", "KNO", 22}, {"SHA", "SZX", 22},
    {"CAN", "SHA", 20}, {"CAN", "PEK", 20}, {"PEK", "SZX", 18}, {"CTU", "PEK", 15},
    {"BKK", "CNX", 16}, {"CGK", "SUB", 20}, {"CGK", "UPG", 16}, {"BNE", "SYD", 30},
    {"BNE", "MEL", 25}, {"CEB", "MNL", 25}, {"DAD", "SGN", 20}, {"DAD", "HAN", 18},
    {"BLR", "DEL", 32}, {"BLR", "BOM", 22}, {"HYD", "DEL", 20}, {"CCU", "DEL", 18},
    {"DEL", "MAA", 16}, {"BOM", "HYD", 14}, {"BOM", "MAA", 14}, {"BLR", "MAA", 8},
    {"BOM", "GOI", 10}, {"DEL", "PNQ", 14}, {"AMD", "DEL", 14}, {"BOM", "CCU", 12},
    {"HND", "ITM", 30}, {"HND", "KIX", 8}, {"HND", "KOJ", 18}, {"HND", "HIJ", 14},
    {"HND", "KMJ", 12}, {"HND", "NGS", 12}, {"HND", "KMI", 10}, {"CTS", "NRT", 12},
    {"GMP", "PUS", 20}, {"CJU", "PUS", 18}, {"CJU", "TAE", 10}, {"CJU", "KWJ", 10},
    {"ADL", "MEL", 20}, {"MEL", "PER", 12}, {"PER", "SYD", 12}, {"ADL", "SYD", 16},
    {"OOL", "SYD", 16}, {"CBR", "SYD", 14}, {"CBR", "MEL", 12}, {"CNS", "BNE", 10},
    {"AKL", "WLG", 20}, {"AKL", "CHC", 18}, {"CHC", "WLG", 10}, {"SYD", "AKL", 12},
    {"MEL", "AKL", 8},  {"BNE", "AKL", 6},  {"PEK", "HGH", 12}, {"CKG", "PEK", 12},
    {"CTU", "SHA", 12}, {"KMG", "PEK", 10}, {"KMG", "SHA", 10}, {"XIY", "PEK", 10},
    {"HAK", "PEK", 10}, {"SYX", "PEK", 10}, {"SYX", "SHA", 8},  {"CAN", "CTU", 12},
    {"CAN", "CKG", 10}, {"CAN", "HGH", 10}, {"SZX", "CTU", 12}, {"SZX", "CKG", 10},
    {"SZX", "HGH", 10}, {"SZX", "XIY", 8},  {"CAN", "PVG", 10}, {"PKX", "CAN", 12},
    {"PKX", "SHA", 10}, {"PKX", "SZX", 10}, {"PVG", "SZX", 10}, {"XMN", "PEK", 8},
    {"URC", "PEK", 6},  {"HRB", "PEK", 6},  {"CSX", "PEK", 8},  {"WUH", "PEK", 8},
    {"KUL", "BKI", 16}, {"KUL", "PEN", 18}, {"KUL", "KCH", 14}, {"MNL", "DVO", 14},
    {"BKK", "HKT", 22}, {"DMK", "HKT", 14}, {"DMK", "CNX", 14}, {"SGN", "CXR", 10},
    {"SGN", "PQC", 12}, {"HAN", "PQC", 8},   {"KHH", "TSA", 4},
    /* Asia-Pacific international */
    {"HKG", "TPE", 28}, {"KUL", "SIN", 30}, {"CGK", "SIN", 24}, {"BKK", "HKG", 16},
    {"BKK", "SIN", 16}, {"HKG", "MNL", 14}, {"ICN", "NRT", 14}, {"ICN", "KIX", 16},
    {"ICN", "FUK", 14}, {"GMP", "HND", 12}, {"HKG", "PVG", 14}, {"HKG", "PEK", 10},
    {"HKG", "SIN", 12}, {"MNL", "SIN", 10}, {"SGN", "SIN", 10}, {"HAN", "ICN", 10},
    {"SGN", "ICN", 10}, {"BKK", "ICN", 12}, {"TPE", "NRT", 12}, {"TPE", "KIX", 10},
    {"TPE", "ICN", 10}, {"HKG", "ICN", 10}, {"DEL", "DXB", 14}, {"BOM", "DXB", 14},
    {"COK", "DXB", 8},  {"DXB", "KHI", 8},  {"DXB", "LHE", 6},  {"DXB", "DAC", 6},
    {"CMB", "DXB", 4},  {"DPS", "SYD", 8},  {"DPS", "MEL", 8},  {"DPS", "PER", 10},
    {"SIN", "SYD", 8},  {"MEL", "SIN", 6},  {"PER", "SIN", 8},  {"HND", "ICN", 8},
    /* Middle East and Africa */
    {"DXB", "RUH", 14}, {"DXB", "JED", 10}, {"DXB", "KWI", 12}, {"DOH", "DXB", 12},
    {"CAI", "JED", 14}, {"CAI", "RUH", 10}, {"DMM", "RUH", 10}, {"DXB", "MCT", 10},
     {"BAH", "DXB", 8},  {"AMM", "DXB", 4},  {"TLV", "ETM", 8},
    {"DXB", "IST", 12}, {"CPT", "JNB", 28}, {"DUR", "JNB", 18}, {"CAI", "DXB", 10},
    {"CMN", "CDG", 8},  {"ALG", "CDG", 8},  {"ABV", "LOS", 18}, {"ADD", "NBO", 6},
    /* Europe */
    {"LHR", "DUB", 18}, {"DUB", "STN", 14}, {"DUB", "LGW", 12}, {"BCN", "MAD", 20},
    {"BCN", "PMI", 18}, {"MAD", "PMI", 14}, {"ORY", "NCE", 16}, {"CDG", "NCE", 8},
    {"ORY", "TLS", 14}, {"ORY", "MRS", 10}, {"FCO", "LIN", 12}, {"CTA", "FCO", 16},
    {"FCO", "PMO", 14}, {"LIN", "NAP", 10}, {"OSL", "BGO", 22}, {"OSL", "TRD", 22},
    {"OSL", "SVG", 16}, {"ARN", "GOT", 8},  {"ARN", "LLA", 8},  {"ARN", "CPH", 14},
    {"CPH", "OSL", 14}, {"ARN", "HEL", 14}, {"FRA", "BER", 10}, {"MUC", "BER", 12},
    {"MUC", "HAM", 12}, {"FRA", "HAM", 10}, {"DUS", "MUC", 10}, {"CGN", "BER", 8},
    {"LHR", "EDI", 12}, {"LHR", "GLA", 10}, {"LHR", "AMS", 20}, {"LHR", "CDG", 14},
    {"LHR", "FRA", 12}, {"LHR", "MAD", 12}, {"LHR", "ZRH", 12}, {"LHR", "GVA", 10},
    {"LHR", "MUC", 10}, {"LHR", "FCO", 8},  {"LHR", "CPH", 8},  {"LHR", "BCN", 8},
    {"LHR", "IST", 8},  {"LGW", "BCN", 10}, {"LGW", "EDI", 8},  {"LGW", "GLA", 6},
    {"LGW", "AMS", 8},  {"LGW", "GVA", 8},  {"LGW", "BFS", 8},  {"LGW", "MAD", 6},
    {"LGW", "PMI", 6},  {"STN", "BCN", 4},  {"AMS", "BCN", 8},  {"AMS", "CDG", 6},
    {"AMS", "MAD", 6},  {"CDG", "MAD", 10}, {"CDG", "FCO", 10}, {"CDG", "BCN", 8},
    {"CDG", "FRA", 8},  {"FRA", "MAD", 6},  {"MAD", "LIS", 14}, {"MAD", "FCO", 8},
    {"LIS", "OPO", 12}, {"LIS", "FNC", 10}, {"LIS", "ORY", 10}, {"ZRH", "FRA", 6},
    {"IST", "ADB", 20}, {"IST", "AYT", 18}, {"SAW", "ADB", 14}, {"SAW", "AYT", 12},
    {"IST", "ESB", 16}, {"SAW", "ESB", 10}, {"SAW", "TZX", 10}, {"IST", "TZX", 8},
    {"ATH", "SKG", 16}, {"ATH", "HER", 14}, {"ATH", "LCA", 6},  {"SVO", "LED", 28},
    {"VKO", "LED", 14}, {"DME", "LED", 10}, {"SVO", "AER", 18}, {"VKO", "AER", 10},
    {"SVO", "KRR", 10}, {"SVO", "SVX", 10}, {"SVO", "KZN", 8},  {"SVO", "OVB", 8},
    {"WAW", "KRK", 8},  {"WAW", "GDN", 8},  {"VIE", "FRA", 8},  {"VIE", "ZRH", 6},
    {"TFN", "LPA", 12}, {"TFN", "MAD", 8},  {"LPA", "MAD", 10}, {"TFS", "LGW", 4},
    {"AGP", "LGW", 4},  {"ALC", "LGW", 4},  {"PMI", "DUS", 6},  {"PMI", "FRA", 4},
    /* Americas */
    {"JFK", "LAX", 25}, {"LGA", "ORD", 30}, {"ATL", "MCO", 22}, {"LAX", "SFO", 28},
    {"LAS", "LAX", 26}, {"ATL", "LGA", 22}, {"DCA", "LGA", 12}, {"BOS", "LGA", 12},
    {"DCA", "BOS", 16}, {"ATL", "FLL", 18}, {"DEN", "LAS", 18}, {"DEN", "PHX", 18},
    {"LAX", "SEA", 16}, {"SFO", "SEA", 16}, {"LAX", "PHX", 18}, {"ORD", "LAX", 16},
    {"EWR", "LAX", 10}, {"EWR", "SFO", 12}, {"JFK", "SFO", 12}, {"DFW", "LAX", 16},
    {"DFW", "ORD", 16}, {"DFW", "ATL", 14}, {"DFW", "LGA", 14}, {"ATL", "ORD", 18},
    {"DEN", "LAX", 16}, {"DEN", "ORD", 16}, {"DEN", "SFO", 14}, {"LAS", "SFO", 14},
    {"LAS", "SEA", 12}, {"LAS", "PHX", 14}, {"HNL", "OGG", 18}, {"HNL", "KOA", 12},
    {"HNL", "LIH", 12}, {"LAX", "HNL", 12}, {"ATL", "MIA", 12}, {"ATL", "TPA", 14},
    {"ORD", "MSP", 14}, {"ORD", "DCA", 14}, {"ORD", "BOS", 14}, {"ORD", "EWR", 14},
    {"MCO", "EWR", 12}, {"MCO", "JFK", 10}, {"FLL", "EWR", 10}, {"MIA", "LGA", 12},
    {"MIA", "JFK", 10}, {"MCO", "PHL", 10}, {"BOS", "MCO", 10}, {"DAL", "HOU", 20},
    {"DAL", "AUS", 6},  {"ATL", "CLT", 12}, {"CLT", "LGA", 12}, {"ATL", "DCA", 14},
    {"ATL", "DTW", 12}, {"SEA", "ANC", 10}, {"SEA", "PDX", 8},  {"SAN", "SFO", 14},
    {"SJC", "LAX", 10}, {"OAK", "LAS", 8},  {"OAK", "LAX", 10}, {"SMF", "LAX", 10},
    {"YUL", "YYZ", 22}, {"YVR", "YYZ", 14}, {"YVR", "YYC", 20}, {"YYC", "YYZ", 14},
    {"YVR", "SEA", 8},  {"YYZ", "LGA", 14}, {"YYZ", "EWR", 8},  {"YYZ", "ORD", 10},
    {"MEX", "CUN", 20}, {"MEX", "GDL", 18}, {"MEX", "MTY", 20}, {"MEX", "TIJ", 14},
    {"GDL", "TIJ", 12}, {"MTY", "CUN", 8},  {"MEX", "MID", 10}, {"CGH", "SDU", 30},
    {"CGH", "BSB", 14}, {"GRU", "GIG", 8},  {"GRU", "POA", 10}, {"CGH", "CNF", 12},
    {"GRU", "REC", 8},  {"GRU", "SSA", 8},  {"GRU", "BSB", 10}, {"BOG", "MDE", 26},
    {"BOG", "CLO", 18}, {"BOG", "CTG", 16}, {"BOG", "BAQ", 12}, {"LIM", "CUZ", 24},
    {"LIM", "AQP", 10}, {"SCL", "PMC", 10}, {"SCL", "CCP", 10}, {"SCL", "ANF", 12},
    {"SCL", "CJC", 8},  {"AEP", "COR", 12}, {"AEP", "MDZ", 10}, {"AEP", "BRC", 8},
    {"AEP", "MVD", 8},  {"EZE", "SCL", 8},  {"GRU", "EZE", 12}, {"GRU", "SCL", 8},
    {"LIM", "SCL", 8},  {"BOG", "PTY", 8},  {"MEX", "LAX", 10}, {"CUN", "MIA", 6},
    {"JFK", "SJU", 8},  {"JFK", "SDQ", 6},  {"MIA", "BOG", 6},  {"MIA", "GRU", 3},
    /* Long haul */
    {"LHR", "JFK", 20}, {"LHR", "EWR", 9},  {"LGW", "JFK", 5},  {"LHR", "BOS", 7},
    {"LHR", "DXB", 10}, {"LHR", "DOH", 8},  {"LHR", "LAX", 6},  {"LHR", "ORD", 6},
    {"LHR", "SIN", 5},  {"LHR", "HKG", 5},  {"LHR", "DEL", 5},  {"LHR", "BOM", 4},
    {"LHR", "YYZ", 6},  {"LHR", "SFO", 5},  {"LHR", "IAD", 5},  {"LHR", "MIA", 4},
    {"LHR", "DFW", 3},  {"LHR", "ATL", 3},  {"LHR", "HND", 4},  {"LHR", "JNB", 3},
    {"CDG", "JFK", 8},  {"CDG", "DXB", 4},  {"AMS", "JFK", 5},  {"FRA", "JFK", 4},
    {"FRA", "ORD", 3},  {"MAD", "MIA", 3},  {"MAD", "BOG", 3},  {"MAD", "EZE", 3},
    {"MAD", "GRU", 3},  {"MAD", "MEX", 3},  {"MAD", "JFK", 4},  {"FCO", "JFK", 4},
    {"DUB", "JFK", 5},  {"IST", "JFK", 3},  {"JFK", "DXB", 3},  {"DXB", "SYD", 3},
    {"DXB", "BKK", 6},  {"DXB", "SIN", 4},  {"DOH", "BKK", 4},  {"SIN", "NRT", 4},
    {"SIN", "HND", 4},  {"SYD", "LAX", 4},  {"SYD", "HKG", 4},  {"SYD", "SFO", 2},
    {"HND", "LAX", 4},  {"NRT", "LAX", 3},  {"ICN", "LAX", 4},  {"ICN", "JFK", 3},
    {"HKG", "LAX", 3},  {"HKG", "JFK", 3},  {"TPE", "LAX", 4},  {"TPE", "SFO", 3},
    {"HND", "SFO", 3},  {"PVG", "LAX", 2},  {"PEK", "LAX", 1},  {"YVR", "HKG", 1},
};
const size_t sb_route_facts_len = sizeof(sb_route_facts) / sizeof(sb_route_facts[0]);

/* Nonstops longer than 13,000 km flown in 2024-2025 (the longest, Singapore-New York, is
 * about 15,350 km). Sources: the operators' timetables, as listed in Wikipedia's "Longest
 * flights". The generator flies no other pair beyond 13,000 km. */
const sb_pair_fact sb_ultra_long_facts[] = {
    {"SIN", "JFK"}, {"SIN", "EWR"}, {"PER", "LHR"}, {"DFW", "MEL"}, {"AKL", "DOH"},
    {"AKL", "DXB"}, {"AKL", "JFK"}, {"SIN", "LAX"}, {"BLR", "SFO"}, {"DFW", "SYD"},
    {"IAH", "SYD"}, {"JNB", "ATL"}, {"MNL", "JFK"}, {"SIN", "SFO"}, {"PER", "CDG"},
};
const size_t sb_ultra_long_facts_len = sizeof(sb_ultra_long_facts) / sizeof(sb_ultra_long_facts[0]);

/* Airports with scheduled long-haul service (over 4,000 km) beyond those of the traffic table
 * above 15 million passengers and the network carriers' hubs: mostly leisure destinations
 * served by long-haul charters and scheduled wide-bodies. Source: the airports' route lists
 * (Wikipedia airport articles, "Airlines and destinations"). */
const char *const sb_longhaul_airports[] = {
    "CUN", "PUJ", "MBJ", "HAV", "SJO", "MLE", "SEZ", "MRU", "ZNZ", "DPS", "HKT", "CMB",
    "NAN", "PPT", "SJU", "SDQ", "KEF", "ANC", "OGG", "KOA", "GUM", "CPT", "DUR", "LOS",
    "ABV", "ACC", "DKR", "LAD", "NBO", "EBB", "DAR", "KGL", "ALG", "CMN", "TUN", "AMM",
    "BEY", "KWI", "BAH", "MCT", "DMM", "AUH", "SHJ", "KHI", "LHE", "ISB", "DAC", "KTM",
    "COK", "MAA", "HYD", "CCU", "AMD", "BLR", "CEB", "CRK", "PEN", "BKI", "DAD", "SGN",
    "HAN", "KIX", "NGO", "FUK", "CTS", "PUS", "CHC", "BNE", "PER", "ADL", "AKL", "EZE",
    "SCL", "LIM", "BOG", "PTY", "GIG", "VCP", "REC", "FOR", "SSA", "CNF", "MDE", "UIO",
    "GYE", "CCS", "MVD", "ASU", "VVI", "LPB", "GRU", "MEX", "GDL", "MTY", "YYC", "YUL",
    "YVR", "YEG", "MSP", "DTW", "PHL", "IAD", "BOS", "MIA", "ATL", "IAH", "DFW", "SEA",
    "PDX", "SLC", "LAS", "PHX", "SAN", "DEN", "AUS", "RDU", "TPA", "MCO", "FLL", "CLT",
    "HNL", "OKA", "BUD", "PRG", "WAW", "VIE", "CPH", "ARN", "OSL", "HEL", "DUB", "MAN",
    "EDI", "BER", "DUS", "MUC", "ZRH", "GVA", "BRU", "MXP", "FCO", "VCE", "NAP", "LIS",
    "OPO", "BCN", "ATH", "TLV", "CAI", "ADD", "JNB", "SVO", "LED", "URC", "XIY", "CKG",
    "TFU", "CTU", "KMG", "HGH", "NKG", "WUH", "XMN", "CSX", "SZX", "TAO", "SHE", "TPE",
    NULL,
};

/* Sun and beach destinations whose traffic is mostly leisure (the gravity model weights
 * flows to them from far-off source markets). Source: UN Tourism's arrivals by destination
 * and the airports' seasonal route lists. */
const char *const sb_leisure_airports[] = {
    "PMI", "AGP", "ALC", "IBZ", "TFS", "LPA", "ACE", "FUE", "FAO", "FNC", "HER", "RHO",
    "CFU", "JTR", "JMK", "KGS", "DLM", "BJV", "AYT", "ADB", "LCA", "PFO", "MLA", "NCE",
    "OLB", "CAG", "PMO", "CTA", "BRI", "SPU", "DBV", "HRG", "SSH", "RAK", "AGA", "DJE",
    "CUN", "PUJ", "MBJ", "SJD", "PVR", "LIR", "AUA", "NAS", "MCO", "LAS", "HNL", "OGG",
    "KOA", "FLL", "RSW", "DPS", "HKT", "USM", "KBV", "CXR", "PQC", "DAD", "CEB", "MLE",
    "OKA", "CJU", "SYX", "OOL", "CNS", "NAN", "GOI", "CMB", "MRU", "SEZ", "ZNZ", NULL,
};

/* Intercontinental hubs, joined to each other (where within 13,000 km) and to the large
 * airports near them, so every large airport reaches every other within two stops. Each is a
 * main hub in the airline table. */
const char *const sb_global_hubs[] = {
    "LHR", "CDG", "FRA", "AMS", "IST", "DXB", "DOH", "ADD", "JNB", "DEL", "SIN", "BKK",
    "HKG", "ICN", "HND", "PEK", "PVG", "CAN", "SYD", "JFK", "ATL", "ORD", "DFW", "LAX",
    "YYZ", "MEX", "PTY", "BOG", "GRU", "SCL", "MAD", "SVO", "NBO", "CAI", "KUL", "AKL",
    NULL,
};

int sb_fact_in_list(const char *const *list, const char *code)
{
    for (int i = 0; list[i] != NULL; i++) {
        if (strcmp(list[i], code) == 0)
            return i;
    }
    return -1;
}

int sb_fact_single_market(const char *country)
{
    /* The EU 27 plus the EEA states Norway and Iceland and Switzerland (EU-Swiss air
     * transport agreement): the single aviation market where any of their carriers may fly
     * any route inside it, domestic ones of another member included. */
    static const char *const members[] = {
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
        "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "NO",
        "IS", "CH", NULL,
    };
    return sb_fact_in_list(members, country) >= 0;
}

/* The perimeter rules: LaGuardia 1,500 statute miles (2,414 km; Denver exempt) and
 * Washington National 1,250 statute miles (2,012 km; a few beyond-perimeter exemptions).
 * Sources: 14 CFR 93.253 (DCA), the Port Authority's LaGuardia perimeter rule; the DCA
 * exemptions as granted by the DOT (Los Angeles, San Francisco, Seattle, Phoenix, Las Vegas,
 * Salt Lake City, San Diego, Austin, Denver). */
double sb_fact_perimeter_km(const char *iata)
{
    if (strcmp(iata, "LGA") == 0)
        return 2414.0;
    if (strcmp(iata, "DCA") == 0)
        return 2012.0;
    return 0.0;
}

int sb_fact_perimeter_exempt(const char *iata, const char *other)
{
    static const char *const lga[] = {"DEN", NULL};
    static const char *const dca[] = {"LAX", "SFO", "SEA", "PHX", "LAS",
                                      "SLC", "SAN", "AUS", "DEN", NULL};
    if (strcmp(iata, "LGA") == 0)
        return sb_fact_in_list(lga, other) >= 0;
    if (strcmp(iata, "DCA") == 0)
        return sb_fact_in_list(dca, other) >= 0;
    return 0;
}
