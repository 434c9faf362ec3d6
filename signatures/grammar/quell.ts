// Generated automatically by nearley, version 2.20.1
// http://github.com/Hardmath123/nearley
// Bypasses TS6133. Allow declared but unused functions.
// @ts-ignore
function id(d: any[]): any { return d[0]; }
declare var string: any;
declare var ident: any;
declare var number: any;
declare var ip4: any;
declare var ip6: any;
declare var duration: any;
declare var strid: any;
declare var regex: any;
declare var hexdef: any;
declare var strcount: any;
declare var stroffset: any;
declare var strlen: any;

import { B, tokenLexerStub as lexer } from '../ast-build';

interface NearleyToken {
  value: any;
  [key: string]: any;
};

interface NearleyLexer {
  reset: (chunk: string, info: any) => void;
  next: () => NearleyToken | undefined;
  save: () => any;
  formatError: (token: never) => string;
  has: (tokenType: string) => boolean;
};

interface NearleyRule {
  name: string;
  symbols: NearleySymbol[];
  postprocess?: (d: any[], loc?: number, reject?: {}) => any;
};

type NearleySymbol = string | { literal: any } | { test: (token: any) => boolean };

interface Grammar {
  Lexer: NearleyLexer | undefined;
  ParserRules: NearleyRule[];
  ParserStart: string;
};

const grammar: Grammar = {
  Lexer: lexer,
  ParserRules: [
    {"name": "item", "symbols": ["include"], "postprocess": id},
    {"name": "item", "symbols": ["importDecl"], "postprocess": id},
    {"name": "item", "symbols": ["constDecl"], "postprocess": id},
    {"name": "item", "symbols": ["setDecl"], "postprocess": id},
    {"name": "item", "symbols": ["rule"], "postprocess": id},
    {"name": "include", "symbols": [{"literal":"include"}, (lexer.has("string") ? {type: "string"} : string)], "postprocess": d => B.node('include', d[0], d[1], { path: d[1] })},
    {"name": "importDecl", "symbols": [{"literal":"import"}, (lexer.has("string") ? {type: "string"} : string)], "postprocess": d => B.node('import', d[0], d[1], { path: d[1] })},
    {"name": "constDecl", "symbols": [{"literal":"const"}, (lexer.has("ident") ? {type: "ident"} : ident), {"literal":"="}, "value"], "postprocess": d => B.node('const', d[0], d[3], { name: d[1], value: d[3] })},
    {"name": "setDecl", "symbols": [{"literal":"set"}, (lexer.has("ident") ? {type: "ident"} : ident), {"literal":"="}, "value"], "postprocess": d => B.node('set', d[0], d[3], { name: d[1], value: d[3] })},
    {"name": "value", "symbols": ["list"], "postprocess": id},
    {"name": "value", "symbols": [(lexer.has("ident") ? {type: "ident"} : ident), {"literal":"("}, (lexer.has("string") ? {type: "string"} : string), {"literal":")"}], "postprocess": d => B.node('loader', d[0], d[3], { fn: d[0], path: d[2] })},
    {"name": "value", "symbols": [{"literal":"strings"}, {"literal":"("}, (lexer.has("string") ? {type: "string"} : string), {"literal":")"}], "postprocess": d => B.node('loader', d[0], d[3], { fn: d[0], path: d[2] })},
    {"name": "value", "symbols": ["scalar"], "postprocess": id},
    {"name": "scalar", "symbols": [(lexer.has("string") ? {type: "string"} : string)], "postprocess": d => B.node('str', d[0], d[0], { tok: d[0] })},
    {"name": "scalar", "symbols": [(lexer.has("number") ? {type: "number"} : number)], "postprocess": d => B.node('num', d[0], d[0], { tok: d[0] })},
    {"name": "scalar", "symbols": [{"literal":"-"}, (lexer.has("number") ? {type: "number"} : number)], "postprocess": d => B.node('num', d[0], d[1], { tok: d[1], neg: true })},
    {"name": "scalar", "symbols": [{"literal":"true"}], "postprocess": d => B.node('bool', d[0], d[0], { v: true })},
    {"name": "scalar", "symbols": [{"literal":"false"}], "postprocess": d => B.node('bool', d[0], d[0], { v: false })},
    {"name": "scalar", "symbols": [(lexer.has("ip4") ? {type: "ip4"} : ip4)], "postprocess": d => B.node('ip', d[0], d[0], { tok: d[0] })},
    {"name": "scalar", "symbols": [(lexer.has("ip6") ? {type: "ip6"} : ip6)], "postprocess": d => B.node('ip', d[0], d[0], { tok: d[0] })},
    {"name": "scalar", "symbols": [(lexer.has("duration") ? {type: "duration"} : duration)], "postprocess": d => B.node('dur', d[0], d[0], { tok: d[0] })},
    {"name": "list", "symbols": [{"literal":"["}, {"literal":"]"}], "postprocess": d => B.node('list', d[0], d[1], { items: [] })},
    {"name": "list", "symbols": [{"literal":"["}, "listItems", {"literal":"]"}], "postprocess": d => B.node('list', d[0], d[2], { items: d[1] })},
    {"name": "list", "symbols": [{"literal":"["}, "listItems", {"literal":","}, {"literal":"]"}], "postprocess": d => B.node('list', d[0], d[3], { items: d[1] })},
    {"name": "listItems", "symbols": ["listItem"], "postprocess": d => [d[0]]},
    {"name": "listItems", "symbols": ["listItems", {"literal":","}, "listItem"], "postprocess": d => d[0].concat([d[2]])},
    {"name": "listItem", "symbols": ["scalar"], "postprocess": id},
    {"name": "listItem", "symbols": [(lexer.has("number") ? {type: "number"} : number), {"literal":".."}, (lexer.has("number") ? {type: "number"} : number)], "postprocess": d => B.node('range', d[0], d[2], { lo: d[0], hi: d[2] })},
    {"name": "listItem", "symbols": [(lexer.has("ident") ? {type: "ident"} : ident)], "postprocess": d => B.node('ref', d[0], d[0], { name: d[0] })},
    {"name": "rule", "symbols": ["ruleMods", {"literal":"rule"}, (lexer.has("ident") ? {type: "ident"} : ident), "tags", {"literal":"{"}, "sections", {"literal":"}"}], "postprocess": d => B.rule(d[0], d[1], d[2], d[3], d[5], d[6])},
    {"name": "ruleMods", "symbols": [], "postprocess": () => []},
    {"name": "ruleMods", "symbols": ["ruleMods", "ruleMod"], "postprocess": d => d[0].concat([d[1]])},
    {"name": "ruleMod", "symbols": [{"literal":"private"}], "postprocess": id},
    {"name": "ruleMod", "symbols": [{"literal":"global"}], "postprocess": id},
    {"name": "tags", "symbols": [], "postprocess": () => []},
    {"name": "tags", "symbols": [{"literal":":"}, "tagList"], "postprocess": d => d[1]},
    {"name": "tagList", "symbols": [(lexer.has("ident") ? {type: "ident"} : ident)], "postprocess": d => [d[0]]},
    {"name": "tagList", "symbols": ["tagList", (lexer.has("ident") ? {type: "ident"} : ident)], "postprocess": d => d[0].concat([d[1]])},
    {"name": "sections", "symbols": [], "postprocess": () => []},
    {"name": "sections", "symbols": ["sections", "section"], "postprocess": d => d[0].concat([d[1]])},
    {"name": "section", "symbols": [{"literal":"meta"}, {"literal":":"}, "metaPairs"], "postprocess": d => B.node('meta', d[0], d[1], { pairs: d[2] })},
    {"name": "section", "symbols": [{"literal":"scope"}, {"literal":":"}, "scopePairs"], "postprocess": d => B.node('scope', d[0], d[1], { pairs: d[2] })},
    {"name": "section", "symbols": [{"literal":"strings"}, {"literal":":"}, "strDefs"], "postprocess": d => B.node('strings', d[0], d[1], { defs: d[2] })},
    {"name": "section", "symbols": [{"literal":"condition"}, {"literal":":"}, "expr"], "postprocess": d => B.node('condition', d[0], d[1], { expr: d[2] })},
    {"name": "section", "symbols": [{"literal":"action"}, {"literal":":"}, "actions"], "postprocess": d => B.node('action', d[0], d[1], { items: d[2] })},
    {"name": "metaPairs", "symbols": [], "postprocess": () => []},
    {"name": "metaPairs", "symbols": ["metaPairs", "metaPair"], "postprocess": d => d[0].concat([d[1]])},
    {"name": "metaPair", "symbols": [(lexer.has("ident") ? {type: "ident"} : ident), {"literal":"="}, "scalar"], "postprocess": d => B.node('pair', d[0], d[2], { key: d[0], value: d[2] })},
    {"name": "scopePairs", "symbols": [], "postprocess": () => []},
    {"name": "scopePairs", "symbols": ["scopePairs", "scopePair"], "postprocess": d => d[0].concat([d[1]])},
    {"name": "scopePair", "symbols": [(lexer.has("ident") ? {type: "ident"} : ident), {"literal":"="}, "scopeVal", "optSemi"], "postprocess": d => B.node('pair', d[0], d[2], { key: d[0], value: d[2] })},
    {"name": "optSemi", "symbols": []},
    {"name": "optSemi", "symbols": [{"literal":";"}]},
    {"name": "scopeVal", "symbols": ["list"], "postprocess": id},
    {"name": "scopeVal", "symbols": [(lexer.has("number") ? {type: "number"} : number)], "postprocess": d => B.node('num', d[0], d[0], { tok: d[0] })},
    {"name": "scopeVal", "symbols": ["identAlt"], "postprocess": d => B.node('alt', d[0][0], d[0][d[0].length - 1], { names: d[0] })},
    {"name": "identAlt", "symbols": [(lexer.has("ident") ? {type: "ident"} : ident)], "postprocess": d => [d[0]]},
    {"name": "identAlt", "symbols": ["identAlt", {"literal":"|"}, (lexer.has("ident") ? {type: "ident"} : ident)], "postprocess": d => d[0].concat([d[2]])},
    {"name": "strDefs", "symbols": [], "postprocess": () => []},
    {"name": "strDefs", "symbols": ["strDefs", "strDef"], "postprocess": d => d[0].concat([d[1]])},
    {"name": "strDef", "symbols": [(lexer.has("strid") ? {type: "strid"} : strid), {"literal":"="}, (lexer.has("string") ? {type: "string"} : string), "strMods"], "postprocess": d => B.strDef(d[0], 'text', d[2], d[3])},
    {"name": "strDef", "symbols": [(lexer.has("strid") ? {type: "strid"} : strid), {"literal":"="}, (lexer.has("regex") ? {type: "regex"} : regex), "strMods"], "postprocess": d => B.strDef(d[0], 'regex', d[2], d[3])},
    {"name": "strDef", "symbols": [(lexer.has("strid") ? {type: "strid"} : strid), (lexer.has("hexdef") ? {type: "hexdef"} : hexdef), "strMods"], "postprocess": d => B.strDef(d[0], 'hex', d[1], d[2])},
    {"name": "strMods", "symbols": [], "postprocess": () => []},
    {"name": "strMods", "symbols": ["strMods", "strMod"], "postprocess": d => d[0].concat([d[1]])},
    {"name": "strMod$subexpression$1", "symbols": [{"literal":"nocase"}]},
    {"name": "strMod$subexpression$1", "symbols": [{"literal":"wide"}]},
    {"name": "strMod$subexpression$1", "symbols": [{"literal":"ascii"}]},
    {"name": "strMod$subexpression$1", "symbols": [{"literal":"fullword"}]},
    {"name": "strMod$subexpression$1", "symbols": [{"literal":"private"}]},
    {"name": "strMod$subexpression$1", "symbols": [{"literal":"xor"}]},
    {"name": "strMod$subexpression$1", "symbols": [{"literal":"base64"}]},
    {"name": "strMod$subexpression$1", "symbols": [{"literal":"base64wide"}]},
    {"name": "strMod", "symbols": ["strMod$subexpression$1"], "postprocess": d => B.node('mod', d[0][0], d[0][0], { name: d[0][0].value })},
    {"name": "strMod", "symbols": [{"literal":"in"}, "buffer"], "postprocess": d => B.node('bind', d[0], d[1].endTok, { buf: d[1] })},
    {"name": "buffer", "symbols": [(lexer.has("ident") ? {type: "ident"} : ident)], "postprocess": d => ({ name: d[0], key: null, endTok: d[0] })},
    {"name": "buffer", "symbols": [(lexer.has("ident") ? {type: "ident"} : ident), {"literal":"["}, (lexer.has("string") ? {type: "string"} : string), {"literal":"]"}], "postprocess": d => ({ name: d[0], key: d[2], endTok: d[3] })},
    {"name": "actions", "symbols": ["action"], "postprocess": d => [d[0]]},
    {"name": "actions", "symbols": ["actions", {"literal":";"}, "action"], "postprocess": d => d[0].concat([d[2]])},
    {"name": "actions", "symbols": ["actions", {"literal":";"}], "postprocess": d => d[0]},
    {"name": "action", "symbols": [(lexer.has("ident") ? {type: "ident"} : ident), "actionArgs"], "postprocess": d => B.node('act', d[0], d[1].length ? d[1][d[1].length - 1] : d[0], { verb: d[0], args: d[1] })},
    {"name": "actionArgs", "symbols": [], "postprocess": () => []},
    {"name": "actionArgs", "symbols": ["actionArgs", "actionArg"], "postprocess": d => d[0].concat([d[1]])},
    {"name": "actionArg", "symbols": [(lexer.has("ident") ? {type: "ident"} : ident)], "postprocess": id},
    {"name": "actionArg", "symbols": [(lexer.has("string") ? {type: "string"} : string)], "postprocess": id},
    {"name": "actionArg", "symbols": [(lexer.has("number") ? {type: "number"} : number)], "postprocess": id},
    {"name": "actionArg", "symbols": [(lexer.has("duration") ? {type: "duration"} : duration)], "postprocess": id},
    {"name": "actionArg", "symbols": [(lexer.has("strid") ? {type: "strid"} : strid)], "postprocess": id},
    {"name": "actionArg", "symbols": [{"literal":"for"}], "postprocess": id},
    {"name": "expr", "symbols": ["expr", {"literal":"or"}, "andE"], "postprocess": d => B.bin('or', d[0], d[1], d[2])},
    {"name": "expr", "symbols": ["andE"], "postprocess": id},
    {"name": "andE", "symbols": ["andE", {"literal":"and"}, "notE"], "postprocess": d => B.bin('and', d[0], d[1], d[2])},
    {"name": "andE", "symbols": ["notE"], "postprocess": id},
    {"name": "notE", "symbols": [{"literal":"not"}, "notE"], "postprocess": d => B.un('not', d[0], d[1])},
    {"name": "notE", "symbols": [{"literal":"defined"}, "notE"], "postprocess": d => B.un('defined', d[0], d[1])},
    {"name": "notE", "symbols": ["cmp"], "postprocess": id},
    {"name": "cmp", "symbols": ["cmp", "eqOp", "rel"], "postprocess": d => B.bin(d[1].value, d[0], d[1], d[2])},
    {"name": "cmp", "symbols": ["rel", {"literal":"defined"}], "postprocess": d => B.node('defined', d[0], d[1], { a: d[0], postfix: true })},
    {"name": "cmp", "symbols": ["rel", {"literal":"in"}, (lexer.has("ident") ? {type: "ident"} : ident)], "postprocess": d => B.node('inset', d[0], d[2], { a: d[0], set: B.node('ref', d[2], d[2], { name: d[2] }) })},
    {"name": "cmp", "symbols": ["rel", {"literal":"in"}, "list"], "postprocess": d => B.node('inset', d[0], d[2], { a: d[0], set: d[2] })},
    {"name": "cmp", "symbols": [(lexer.has("strid") ? {type: "strid"} : strid), {"literal":"at"}, "bor"], "postprocess": d => B.node('at', d[0], d[2], { sid: d[0], pos: d[2] })},
    {"name": "cmp", "symbols": [(lexer.has("strid") ? {type: "strid"} : strid), {"literal":"in"}, "range"], "postprocess": d => B.node('strin', d[0], d[2], { sid: d[0], lo: d[2].lo, hi: d[2].hi })},
    {"name": "cmp", "symbols": ["quant", {"literal":"of"}, "strSet"], "postprocess": d => B.node('of', d[0], d[2], { q: d[0], set: d[2] })},
    {"name": "cmp", "symbols": ["quant", {"literal":"of"}, "strSet", {"literal":"in"}, "range"], "postprocess": d => B.node('of', d[0], d[4], { q: d[0], set: d[2], lo: d[4].lo, hi: d[4].hi })},
    {"name": "cmp", "symbols": ["quant", {"literal":"of"}, "strSet", {"literal":"at"}, "bor"], "postprocess": d => B.node('of', d[0], d[4], { q: d[0], set: d[2], at: d[4] })},
    {"name": "cmp", "symbols": [{"literal":"for"}, "quant", {"literal":"of"}, "strSet", {"literal":":"}, {"literal":"("}, "expr", {"literal":")"}], "postprocess": d => B.node('forof', d[0], d[7], { q: d[1], set: d[3], body: d[6] })},
    {"name": "cmp", "symbols": [{"literal":"for"}, "quant", (lexer.has("ident") ? {type: "ident"} : ident), {"literal":"in"}, "iter", {"literal":":"}, {"literal":"("}, "expr", {"literal":")"}], "postprocess": d => B.node('forin', d[0], d[8], { q: d[1], v: d[2], iter: d[4], body: d[7] })},
    {"name": "cmp", "symbols": ["rel"], "postprocess": id},
    {"name": "eqOp$subexpression$1", "symbols": [{"literal":"=="}]},
    {"name": "eqOp$subexpression$1", "symbols": [{"literal":"!="}]},
    {"name": "eqOp$subexpression$1", "symbols": [{"literal":"contains"}]},
    {"name": "eqOp$subexpression$1", "symbols": [{"literal":"icontains"}]},
    {"name": "eqOp$subexpression$1", "symbols": [{"literal":"startswith"}]},
    {"name": "eqOp$subexpression$1", "symbols": [{"literal":"istartswith"}]},
    {"name": "eqOp$subexpression$1", "symbols": [{"literal":"endswith"}]},
    {"name": "eqOp$subexpression$1", "symbols": [{"literal":"iendswith"}]},
    {"name": "eqOp$subexpression$1", "symbols": [{"literal":"iequals"}]},
    {"name": "eqOp$subexpression$1", "symbols": [{"literal":"matches"}]},
    {"name": "eqOp", "symbols": ["eqOp$subexpression$1"], "postprocess": d => d[0][0]},
    {"name": "rel", "symbols": ["rel", "relOp", "bor"], "postprocess": d => B.bin(d[1].value, d[0], d[1], d[2])},
    {"name": "rel", "symbols": ["bor"], "postprocess": id},
    {"name": "relOp$subexpression$1", "symbols": [{"literal":"<"}]},
    {"name": "relOp$subexpression$1", "symbols": [{"literal":"<="}]},
    {"name": "relOp$subexpression$1", "symbols": [{"literal":">"}]},
    {"name": "relOp$subexpression$1", "symbols": [{"literal":">="}]},
    {"name": "relOp", "symbols": ["relOp$subexpression$1"], "postprocess": d => d[0][0]},
    {"name": "bor", "symbols": ["bor", {"literal":"|"}, "bxor"], "postprocess": d => B.bin('|', d[0], d[1], d[2])},
    {"name": "bor", "symbols": ["bxor"], "postprocess": id},
    {"name": "bxor", "symbols": ["bxor", {"literal":"^"}, "band"], "postprocess": d => B.bin('^', d[0], d[1], d[2])},
    {"name": "bxor", "symbols": ["band"], "postprocess": id},
    {"name": "band", "symbols": ["band", {"literal":"&"}, "shift"], "postprocess": d => B.bin('&', d[0], d[1], d[2])},
    {"name": "band", "symbols": ["shift"], "postprocess": id},
    {"name": "shift$subexpression$1", "symbols": [{"literal":"<<"}]},
    {"name": "shift$subexpression$1", "symbols": [{"literal":">>"}]},
    {"name": "shift", "symbols": ["shift", "shift$subexpression$1", "add"], "postprocess": d => B.bin(d[1][0].value, d[0], d[1][0], d[2])},
    {"name": "shift", "symbols": ["add"], "postprocess": id},
    {"name": "add$subexpression$1", "symbols": [{"literal":"+"}]},
    {"name": "add$subexpression$1", "symbols": [{"literal":"-"}]},
    {"name": "add", "symbols": ["add", "add$subexpression$1", "mul"], "postprocess": d => B.bin(d[1][0].value, d[0], d[1][0], d[2])},
    {"name": "add", "symbols": ["mul"], "postprocess": id},
    {"name": "mul$subexpression$1", "symbols": [{"literal":"*"}]},
    {"name": "mul$subexpression$1", "symbols": [{"literal":"\\"}]},
    {"name": "mul$subexpression$1", "symbols": [{"literal":"%"}]},
    {"name": "mul", "symbols": ["mul", "mul$subexpression$1", "unary"], "postprocess": d => B.bin(d[1][0].value, d[0], d[1][0], d[2])},
    {"name": "mul", "symbols": ["unary"], "postprocess": id},
    {"name": "unary", "symbols": [{"literal":"-"}, "unary"], "postprocess": d => B.un('neg', d[0], d[1])},
    {"name": "unary", "symbols": [{"literal":"~"}, "unary"], "postprocess": d => B.un('bnot', d[0], d[1])},
    {"name": "unary", "symbols": ["primary"], "postprocess": id},
    {"name": "primary", "symbols": [{"literal":"("}, "expr", {"literal":")"}], "postprocess": d => B.node('paren', d[0], d[2], { a: d[1] })},
    {"name": "primary", "symbols": [(lexer.has("number") ? {type: "number"} : number)], "postprocess": d => B.node('num', d[0], d[0], { tok: d[0] })},
    {"name": "primary", "symbols": [(lexer.has("duration") ? {type: "duration"} : duration)], "postprocess": d => B.node('dur', d[0], d[0], { tok: d[0] })},
    {"name": "primary", "symbols": [(lexer.has("string") ? {type: "string"} : string)], "postprocess": d => B.node('str', d[0], d[0], { tok: d[0] })},
    {"name": "primary", "symbols": [(lexer.has("regex") ? {type: "regex"} : regex)], "postprocess": d => B.node('regex', d[0], d[0], { tok: d[0] })},
    {"name": "primary", "symbols": [(lexer.has("ip4") ? {type: "ip4"} : ip4)], "postprocess": d => B.node('ip', d[0], d[0], { tok: d[0] })},
    {"name": "primary", "symbols": [(lexer.has("ip6") ? {type: "ip6"} : ip6)], "postprocess": d => B.node('ip', d[0], d[0], { tok: d[0] })},
    {"name": "primary", "symbols": [{"literal":"true"}], "postprocess": d => B.node('bool', d[0], d[0], { v: true })},
    {"name": "primary", "symbols": [{"literal":"false"}], "postprocess": d => B.node('bool', d[0], d[0], { v: false })},
    {"name": "primary", "symbols": [{"literal":"filesize"}], "postprocess": d => B.node('filesize', d[0], d[0], {})},
    {"name": "primary", "symbols": [{"literal":"entrypoint"}], "postprocess": d => B.node('entrypoint', d[0], d[0], {})},
    {"name": "primary", "symbols": [(lexer.has("strid") ? {type: "strid"} : strid)], "postprocess": d => B.node('found', d[0], d[0], { sid: d[0] })},
    {"name": "primary", "symbols": [(lexer.has("strcount") ? {type: "strcount"} : strcount)], "postprocess": d => B.node('count', d[0], d[0], { sid: d[0] })},
    {"name": "primary", "symbols": [(lexer.has("strcount") ? {type: "strcount"} : strcount), {"literal":"in"}, "range"], "postprocess": d => B.node('countin', d[0], d[2], { sid: d[0], lo: d[2].lo, hi: d[2].hi })},
    {"name": "primary", "symbols": [(lexer.has("stroffset") ? {type: "stroffset"} : stroffset)], "postprocess": d => B.node('offset', d[0], d[0], { sid: d[0], idx: null })},
    {"name": "primary", "symbols": [(lexer.has("stroffset") ? {type: "stroffset"} : stroffset), {"literal":"["}, "expr", {"literal":"]"}], "postprocess": d => B.node('offset', d[0], d[3], { sid: d[0], idx: d[2] })},
    {"name": "primary", "symbols": [(lexer.has("strlen") ? {type: "strlen"} : strlen)], "postprocess": d => B.node('length', d[0], d[0], { sid: d[0], idx: null })},
    {"name": "primary", "symbols": [(lexer.has("strlen") ? {type: "strlen"} : strlen), {"literal":"["}, "expr", {"literal":"]"}], "postprocess": d => B.node('length', d[0], d[3], { sid: d[0], idx: d[2] })},
    {"name": "primary", "symbols": ["intFn", {"literal":"("}, "expr", {"literal":")"}], "postprocess": d => B.node('int', d[0], d[3], { fn: d[0].value, a: d[2] })},
    {"name": "primary", "symbols": [(lexer.has("ident") ? {type: "ident"} : ident)], "postprocess": d => B.node('ident', d[0], d[0], { name: d[0] })},
    {"name": "primary", "symbols": [(lexer.has("ident") ? {type: "ident"} : ident), {"literal":"["}, "expr", {"literal":"]"}], "postprocess": d => B.node('index', d[0], d[3], { name: d[0], key: d[2] })},
    {"name": "primary", "symbols": [(lexer.has("ident") ? {type: "ident"} : ident), {"literal":"["}, "expr", {"literal":"]"}, {"literal":"."}, (lexer.has("ident") ? {type: "ident"} : ident)], "postprocess": d => B.node('index', d[0], d[5], { name: d[0], key: d[2], prop: d[5] })},
    {"name": "primary", "symbols": [(lexer.has("ident") ? {type: "ident"} : ident), {"literal":"("}, {"literal":")"}], "postprocess": d => B.node('call', d[0], d[2], { name: d[0], args: [] })},
    {"name": "primary", "symbols": [(lexer.has("ident") ? {type: "ident"} : ident), {"literal":"("}, "args", {"literal":")"}], "postprocess": d => B.node('call', d[0], d[3], { name: d[0], args: d[2] })},
    {"name": "primary", "symbols": [(lexer.has("ident") ? {type: "ident"} : ident), {"literal":"("}, "args", {"literal":")"}, {"literal":"."}, (lexer.has("ident") ? {type: "ident"} : ident), {"literal":"("}, "args", {"literal":")"}], "postprocess": d => B.node('mcall', d[0], d[8], { name: d[0], args: d[2], method: d[5], margs: d[7] })},
    {"name": "primary", "symbols": [(lexer.has("ident") ? {type: "ident"} : ident), {"literal":"("}, "args", {"literal":")"}, {"literal":"."}, (lexer.has("ident") ? {type: "ident"} : ident), {"literal":"("}, {"literal":")"}], "postprocess": d => B.node('mcall', d[0], d[7], { name: d[0], args: d[2], method: d[5], margs: [] })},
    {"name": "intFn$subexpression$1", "symbols": [{"literal":"int8"}]},
    {"name": "intFn$subexpression$1", "symbols": [{"literal":"int16"}]},
    {"name": "intFn$subexpression$1", "symbols": [{"literal":"int32"}]},
    {"name": "intFn$subexpression$1", "symbols": [{"literal":"uint8"}]},
    {"name": "intFn$subexpression$1", "symbols": [{"literal":"uint16"}]},
    {"name": "intFn$subexpression$1", "symbols": [{"literal":"uint32"}]},
    {"name": "intFn$subexpression$1", "symbols": [{"literal":"int8be"}]},
    {"name": "intFn$subexpression$1", "symbols": [{"literal":"int16be"}]},
    {"name": "intFn$subexpression$1", "symbols": [{"literal":"int32be"}]},
    {"name": "intFn$subexpression$1", "symbols": [{"literal":"uint8be"}]},
    {"name": "intFn$subexpression$1", "symbols": [{"literal":"uint16be"}]},
    {"name": "intFn$subexpression$1", "symbols": [{"literal":"uint32be"}]},
    {"name": "intFn", "symbols": ["intFn$subexpression$1"], "postprocess": d => d[0][0]},
    {"name": "args", "symbols": ["arg"], "postprocess": d => [d[0]]},
    {"name": "args", "symbols": ["args", {"literal":","}, "arg"], "postprocess": d => d[0].concat([d[2]])},
    {"name": "arg", "symbols": ["expr"], "postprocess": d => ({ name: null, value: d[0] })},
    {"name": "arg", "symbols": [(lexer.has("ident") ? {type: "ident"} : ident), {"literal":"="}, "expr"], "postprocess": d => ({ name: d[0], value: d[2] })},
    {"name": "range", "symbols": [{"literal":"("}, "expr", {"literal":".."}, "expr", {"literal":")"}], "postprocess": d => B.node('range', d[0], d[4], { lo: d[1], hi: d[3] })},
    {"name": "iter", "symbols": ["range"], "postprocess": d => ({ kind: 'range', lo: d[0].lo, hi: d[0].hi })},
    {"name": "iter", "symbols": [{"literal":"("}, "exprList", {"literal":")"}], "postprocess": d => ({ kind: 'list', items: d[1] })},
    {"name": "exprList", "symbols": ["expr"], "postprocess": d => [d[0]]},
    {"name": "exprList", "symbols": ["exprList", {"literal":","}, "expr"], "postprocess": d => d[0].concat([d[2]])},
    {"name": "quant", "symbols": [{"literal":"any"}], "postprocess": d => B.node('q', d[0], d[0], { kind: 'any' })},
    {"name": "quant", "symbols": [{"literal":"all"}], "postprocess": d => B.node('q', d[0], d[0], { kind: 'all' })},
    {"name": "quant", "symbols": [{"literal":"none"}], "postprocess": d => B.node('q', d[0], d[0], { kind: 'none' })},
    {"name": "quant", "symbols": ["primary"], "postprocess": d => B.node('q', d[0], d[0], { kind: 'n', n: d[0] })},
    {"name": "quant", "symbols": ["primary", {"literal":"%"}], "postprocess": d => B.node('q', d[0], d[1], { kind: 'pct', n: d[0] })},
    {"name": "strSet", "symbols": [{"literal":"them"}], "postprocess": d => B.node('them', d[0], d[0], {})},
    {"name": "strSet", "symbols": [{"literal":"("}, "ruleList", {"literal":")"}], "postprocess": d => B.node('rulelist', d[0], d[2], { items: d[1] })},
    {"name": "strSet", "symbols": [{"literal":"("}, "strList", {"literal":")"}], "postprocess": d => B.node('strlist', d[0], d[2], { items: d[1] })},
    {"name": "strList", "symbols": [(lexer.has("strid") ? {type: "strid"} : strid)], "postprocess": d => [d[0]]},
    {"name": "strList", "symbols": ["strList", {"literal":","}, (lexer.has("strid") ? {type: "strid"} : strid)], "postprocess": d => d[0].concat([d[2]])},
    {"name": "ruleList", "symbols": ["ruleRef"], "postprocess": d => [d[0]]},
    {"name": "ruleList", "symbols": ["ruleList", {"literal":","}, "ruleRef"], "postprocess": d => d[0].concat([d[2]])},
    {"name": "ruleRef", "symbols": [(lexer.has("ident") ? {type: "ident"} : ident)], "postprocess": d => ({ name: d[0], wild: false })},
    {"name": "ruleRef", "symbols": [(lexer.has("ident") ? {type: "ident"} : ident), {"literal":"*"}], "postprocess": d => ({ name: d[0], wild: true, star: d[1] })}
  ],
  ParserStart: "item",
};

export default grammar;
