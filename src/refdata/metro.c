/* metro.c: IATA metropolitan-area (city) codes and the airports they group.
 *
 * Written in the project because no packaged data set has them. Only airports present in the
 * imported airport data are linked; an area with none is skipped at import. Some area codes
 * are also airport codes (SHA is Shanghai and Shanghai Hongqiao, BKK is Bangkok and
 * Suvarnabhumi); lookups keep the two namespaces apart. */
#include "refdata/refdata.h"

const ct_metro_def ct_metro_table[] = {
    {"LON", "London", "GB", {"LHR", "LGW", "STN", "LTN", "LCY", "SEN", NULL}},
    {"NYC", "New York", "US", {"JFK", "LGA", "EWR", NULL}},
    {"PAR", "Paris", "FR", {"CDG", "ORY", "BVA", NULL}},
    {"TYO", "Tokyo", "JP", {"HND", "NRT", NULL}},
    {"MIL", "Milan", "IT", {"MXP", "LIN", "BGY", NULL}},
    {"ROM", "Rome", "IT", {"FCO", "CIA", NULL}},
    {"WAS", "Washington", "US", {"IAD", "DCA", "BWI", NULL}},
    {"CHI", "Chicago", "US", {"ORD", "MDW", NULL}},
    {"MOW", "Moscow", "RU", {"SVO", "DME", "VKO", "ZIA", NULL}},
    {"STO", "Stockholm", "SE", {"ARN", "BMA", "NYO", "VST", NULL}},
    {"OSA", "Osaka", "JP", {"KIX", "ITM", "UKB", NULL}},
    {"SEL", "Seoul", "KR", {"ICN", "GMP", NULL}},
    {"SAO", "São Paulo", "BR", {"GRU", "CGH", "VCP", NULL}},
    {"RIO", "Rio de Janeiro", "BR", {"GIG", "SDU", NULL}},
    {"BUE", "Buenos Aires", "AR", {"EZE", "AEP", NULL}},
    {"YTO", "Toronto", "CA", {"YYZ", "YTZ", "YHM", NULL}},
    {"YMQ", "Montreal", "CA", {"YUL", "YMX", NULL}},
    {"JKT", "Jakarta", "ID", {"CGK", "HLP", NULL}},
    {"BJS", "Beijing", "CN", {"PEK", "PKX", NULL}},
    {"SHA", "Shanghai", "CN", {"PVG", "SHA", NULL}},
    {"BKK", "Bangkok", "TH", {"BKK", "DMK", NULL}},
    {"IST", "Istanbul", "TR", {"IST", "SAW", NULL}},
    {"DTT", "Detroit", "US", {"DTW", "DET", NULL}},
    {"HOU", "Houston", "US", {"IAH", "HOU", NULL}},
    {"DFW", "Dallas-Fort Worth", "US", {"DFW", "DAL", NULL}},
    {"REK", "Reykjavik", "IS", {"KEF", "RKV", NULL}},
    {"OSL", "Oslo", "NO", {"OSL", "TRF", "RYG", NULL}},
    {"TCI", "Tenerife", "ES", {"TFN", "TFS", NULL}},
    {"BHZ", "Belo Horizonte", "BR", {"CNF", "PLU", NULL}},
    {"TPE", "Taipei", "TW", {"TPE", "TSA", NULL}},
    {"NGO", "Nagoya", "JP", {"NGO", "NKM", NULL}},
    {"SPK", "Sapporo", "JP", {"CTS", "OKD", NULL}},
    {"BUH", "Bucharest", "RO", {"OTP", "BBU", NULL}},
    {"MEX", "Mexico City", "MX", {"MEX", "NLU", NULL}},
    {"BRU", "Brussels", "BE", {"BRU", "CRL", NULL}},
    {"GLA", "Glasgow", "GB", {"GLA", "PIK", NULL}},
    {"VCE", "Venice", "IT", {"VCE", "TSF", NULL}},
    {"DXB", "Dubai", "AE", {"DXB", "DWC", NULL}},
};

const size_t ct_metro_table_len = sizeof(ct_metro_table) / sizeof(ct_metro_table[0]);
