# Quell signature language grammar (nearley). Compiled to quell.ts by `npm run grammar`
# (nearleyc); the generated file is committed and test/signatures/grammar.test.ts checks that it
# is up to date. Precedence is encoded as stratified nonterminals (no ambiguity: the corpus test
# asserts exactly one parse per rule). Node builders live in ../ast-build.ts.
@preprocessor typescript
@{%
import { B, tokenLexerStub as lexer } from '../ast-build';
%}
@lexer lexer

item -> include {% id %} | importDecl {% id %} | constDecl {% id %} | setDecl {% id %} | rule {% id %}

include -> "include" %string {% d => B.node('include', d[0], d[1], { path: d[1] }) %}
importDecl -> "import" %string {% d => B.node('import', d[0], d[1], { path: d[1] }) %}
constDecl -> "const" %ident "=" value {% d => B.node('const', d[0], d[3], { name: d[1], value: d[3] }) %}
setDecl -> "set" %ident "=" value {% d => B.node('set', d[0], d[3], { name: d[1], value: d[3] }) %}

value -> list {% id %}
  | %ident "(" %string ")" {% d => B.node('loader', d[0], d[3], { fn: d[0], path: d[2] }) %}
  | "strings" "(" %string ")" {% d => B.node('loader', d[0], d[3], { fn: d[0], path: d[2] }) %}
  | scalar {% id %}

scalar -> %string {% d => B.node('str', d[0], d[0], { tok: d[0] }) %}
  | %number {% d => B.node('num', d[0], d[0], { tok: d[0] }) %}
  | "-" %number {% d => B.node('num', d[0], d[1], { tok: d[1], neg: true }) %}
  | "true" {% d => B.node('bool', d[0], d[0], { v: true }) %}
  | "false" {% d => B.node('bool', d[0], d[0], { v: false }) %}
  | %ip4 {% d => B.node('ip', d[0], d[0], { tok: d[0] }) %}
  | %ip6 {% d => B.node('ip', d[0], d[0], { tok: d[0] }) %}
  | %duration {% d => B.node('dur', d[0], d[0], { tok: d[0] }) %}

list -> "[" "]" {% d => B.node('list', d[0], d[1], { items: [] }) %}
  | "[" listItems "]" {% d => B.node('list', d[0], d[2], { items: d[1] }) %}
  | "[" listItems "," "]" {% d => B.node('list', d[0], d[3], { items: d[1] }) %}
listItems -> listItem {% d => [d[0]] %} | listItems "," listItem {% d => d[0].concat([d[2]]) %}
listItem -> scalar {% id %}
  | %number ".." %number {% d => B.node('range', d[0], d[2], { lo: d[0], hi: d[2] }) %}
  | %ident {% d => B.node('ref', d[0], d[0], { name: d[0] }) %}

rule -> ruleMods "rule" %ident tags "{" sections "}"
  {% d => B.rule(d[0], d[1], d[2], d[3], d[5], d[6]) %}
ruleMods -> null {% () => [] %} | ruleMods ruleMod {% d => d[0].concat([d[1]]) %}
ruleMod -> "private" {% id %} | "global" {% id %}
tags -> null {% () => [] %} | ":" tagList {% d => d[1] %}
tagList -> %ident {% d => [d[0]] %} | tagList %ident {% d => d[0].concat([d[1]]) %}

sections -> null {% () => [] %} | sections section {% d => d[0].concat([d[1]]) %}
section -> "meta" ":" metaPairs {% d => B.node('meta', d[0], d[1], { pairs: d[2] }) %}
  | "scope" ":" scopePairs {% d => B.node('scope', d[0], d[1], { pairs: d[2] }) %}
  | "strings" ":" strDefs {% d => B.node('strings', d[0], d[1], { defs: d[2] }) %}
  | "condition" ":" expr {% d => B.node('condition', d[0], d[1], { expr: d[2] }) %}
  | "action" ":" actions {% d => B.node('action', d[0], d[1], { items: d[2] }) %}

metaPairs -> null {% () => [] %} | metaPairs metaPair {% d => d[0].concat([d[1]]) %}
metaPair -> %ident "=" scalar {% d => B.node('pair', d[0], d[2], { key: d[0], value: d[2] }) %}

scopePairs -> null {% () => [] %} | scopePairs scopePair {% d => d[0].concat([d[1]]) %}
scopePair -> %ident "=" scopeVal optSemi {% d => B.node('pair', d[0], d[2], { key: d[0], value: d[2] }) %}
optSemi -> null | ";"
scopeVal -> list {% id %}
  | %number {% d => B.node('num', d[0], d[0], { tok: d[0] }) %}
  | identAlt {% d => B.node('alt', d[0][0], d[0][d[0].length - 1], { names: d[0] }) %}
identAlt -> %ident {% d => [d[0]] %} | identAlt "|" %ident {% d => d[0].concat([d[2]]) %}

strDefs -> null {% () => [] %} | strDefs strDef {% d => d[0].concat([d[1]]) %}
strDef -> %strid "=" %string strMods {% d => B.strDef(d[0], 'text', d[2], d[3]) %}
  | %strid "=" %regex strMods {% d => B.strDef(d[0], 'regex', d[2], d[3]) %}
  | %strid %hexdef strMods {% d => B.strDef(d[0], 'hex', d[1], d[2]) %}
strMods -> null {% () => [] %} | strMods strMod {% d => d[0].concat([d[1]]) %}
strMod -> ("nocase" | "wide" | "ascii" | "fullword" | "private" | "xor" | "base64" | "base64wide") {% d => B.node('mod', d[0][0], d[0][0], { name: d[0][0].value }) %}
  | "in" buffer {% d => B.node('bind', d[0], d[1].endTok, { buf: d[1] }) %}
buffer -> %ident {% d => ({ name: d[0], key: null, endTok: d[0] }) %}
  | %ident "[" %string "]" {% d => ({ name: d[0], key: d[2], endTok: d[3] }) %}

actions -> action {% d => [d[0]] %} | actions ";" action {% d => d[0].concat([d[2]]) %} | actions ";" {% d => d[0] %}
action -> %ident actionArgs {% d => B.node('act', d[0], d[1].length ? d[1][d[1].length - 1] : d[0], { verb: d[0], args: d[1] }) %}
actionArgs -> null {% () => [] %} | actionArgs actionArg {% d => d[0].concat([d[1]]) %}
actionArg -> %ident {% id %} | %string {% id %} | %number {% id %} | %duration {% id %} | %strid {% id %} | "for" {% id %}

# ---- conditions (YARA precedence, lowest first) ----
expr -> expr "or" andE {% d => B.bin('or', d[0], d[1], d[2]) %} | andE {% id %}
andE -> andE "and" notE {% d => B.bin('and', d[0], d[1], d[2]) %} | notE {% id %}
notE -> "not" notE {% d => B.un('not', d[0], d[1]) %}
  | "defined" notE {% d => B.un('defined', d[0], d[1]) %}
  | cmp {% id %}
cmp -> cmp eqOp rel {% d => B.bin(d[1].value, d[0], d[1], d[2]) %}
  | rel "defined" {% d => B.node('defined', d[0], d[1], { a: d[0], postfix: true }) %}
  | rel "in" %ident {% d => B.node('inset', d[0], d[2], { a: d[0], set: B.node('ref', d[2], d[2], { name: d[2] }) }) %}
  | rel "in" list {% d => B.node('inset', d[0], d[2], { a: d[0], set: d[2] }) %}
  | %strid "at" bor {% d => B.node('at', d[0], d[2], { sid: d[0], pos: d[2] }) %}
  | %strid "in" range {% d => B.node('strin', d[0], d[2], { sid: d[0], lo: d[2].lo, hi: d[2].hi }) %}
  | quant "of" strSet {% d => B.node('of', d[0], d[2], { q: d[0], set: d[2] }) %}
  | quant "of" strSet "in" range {% d => B.node('of', d[0], d[4], { q: d[0], set: d[2], lo: d[4].lo, hi: d[4].hi }) %}
  | quant "of" strSet "at" bor {% d => B.node('of', d[0], d[4], { q: d[0], set: d[2], at: d[4] }) %}
  | "for" quant "of" strSet ":" "(" expr ")" {% d => B.node('forof', d[0], d[7], { q: d[1], set: d[3], body: d[6] }) %}
  | "for" quant %ident "in" iter ":" "(" expr ")" {% d => B.node('forin', d[0], d[8], { q: d[1], v: d[2], iter: d[4], body: d[7] }) %}
  | rel {% id %}
eqOp -> ("==" | "!=" | "contains" | "icontains" | "startswith" | "istartswith" | "endswith" | "iendswith" | "iequals" | "matches") {% d => d[0][0] %}
rel -> rel relOp bor {% d => B.bin(d[1].value, d[0], d[1], d[2]) %} | bor {% id %}
relOp -> ("<" | "<=" | ">" | ">=") {% d => d[0][0] %}
bor -> bor "|" bxor {% d => B.bin('|', d[0], d[1], d[2]) %} | bxor {% id %}
bxor -> bxor "^" band {% d => B.bin('^', d[0], d[1], d[2]) %} | band {% id %}
band -> band "&" shift {% d => B.bin('&', d[0], d[1], d[2]) %} | shift {% id %}
shift -> shift ("<<" | ">>") add {% d => B.bin(d[1][0].value, d[0], d[1][0], d[2]) %} | add {% id %}
add -> add ("+" | "-") mul {% d => B.bin(d[1][0].value, d[0], d[1][0], d[2]) %} | mul {% id %}
mul -> mul ("*" | "\\" | "%") unary {% d => B.bin(d[1][0].value, d[0], d[1][0], d[2]) %} | unary {% id %}
unary -> "-" unary {% d => B.un('neg', d[0], d[1]) %} | "~" unary {% d => B.un('bnot', d[0], d[1]) %} | primary {% id %}

primary -> "(" expr ")" {% d => B.node('paren', d[0], d[2], { a: d[1] }) %}
  | %number {% d => B.node('num', d[0], d[0], { tok: d[0] }) %}
  | %duration {% d => B.node('dur', d[0], d[0], { tok: d[0] }) %}
  | %string {% d => B.node('str', d[0], d[0], { tok: d[0] }) %}
  | %regex {% d => B.node('regex', d[0], d[0], { tok: d[0] }) %}
  | %ip4 {% d => B.node('ip', d[0], d[0], { tok: d[0] }) %}
  | %ip6 {% d => B.node('ip', d[0], d[0], { tok: d[0] }) %}
  | "true" {% d => B.node('bool', d[0], d[0], { v: true }) %}
  | "false" {% d => B.node('bool', d[0], d[0], { v: false }) %}
  | "filesize" {% d => B.node('filesize', d[0], d[0], {}) %}
  | "entrypoint" {% d => B.node('entrypoint', d[0], d[0], {}) %}
  | %strid {% d => B.node('found', d[0], d[0], { sid: d[0] }) %}
  | %strcount {% d => B.node('count', d[0], d[0], { sid: d[0] }) %}
  | %strcount "in" range {% d => B.node('countin', d[0], d[2], { sid: d[0], lo: d[2].lo, hi: d[2].hi }) %}
  | %stroffset {% d => B.node('offset', d[0], d[0], { sid: d[0], idx: null }) %}
  | %stroffset "[" expr "]" {% d => B.node('offset', d[0], d[3], { sid: d[0], idx: d[2] }) %}
  | %strlen {% d => B.node('length', d[0], d[0], { sid: d[0], idx: null }) %}
  | %strlen "[" expr "]" {% d => B.node('length', d[0], d[3], { sid: d[0], idx: d[2] }) %}
  | intFn "(" expr ")" {% d => B.node('int', d[0], d[3], { fn: d[0].value, a: d[2] }) %}
  | %ident {% d => B.node('ident', d[0], d[0], { name: d[0] }) %}
  | %ident "[" expr "]" {% d => B.node('index', d[0], d[3], { name: d[0], key: d[2] }) %}
  | %ident "[" expr "]" "." %ident {% d => B.node('index', d[0], d[5], { name: d[0], key: d[2], prop: d[5] }) %}
  | %ident "(" ")" {% d => B.node('call', d[0], d[2], { name: d[0], args: [] }) %}
  | %ident "(" args ")" {% d => B.node('call', d[0], d[3], { name: d[0], args: d[2] }) %}
  | %ident "(" args ")" "." %ident "(" args ")" {% d => B.node('mcall', d[0], d[8], { name: d[0], args: d[2], method: d[5], margs: d[7] }) %}
  | %ident "(" args ")" "." %ident "(" ")" {% d => B.node('mcall', d[0], d[7], { name: d[0], args: d[2], method: d[5], margs: [] }) %}
intFn -> ("int8" | "int16" | "int32" | "uint8" | "uint16" | "uint32" | "int8be" | "int16be" | "int32be" | "uint8be" | "uint16be" | "uint32be") {% d => d[0][0] %}
args -> arg {% d => [d[0]] %} | args "," arg {% d => d[0].concat([d[2]]) %}
arg -> expr {% d => ({ name: null, value: d[0] }) %} | %ident "=" expr {% d => ({ name: d[0], value: d[2] }) %}

range -> "(" expr ".." expr ")" {% d => B.node('range', d[0], d[4], { lo: d[1], hi: d[3] }) %}
iter -> range {% d => ({ kind: 'range', lo: d[0].lo, hi: d[0].hi }) %}
  | "(" exprList ")" {% d => ({ kind: 'list', items: d[1] }) %}
exprList -> expr {% d => [d[0]] %} | exprList "," expr {% d => d[0].concat([d[2]]) %}

quant -> "any" {% d => B.node('q', d[0], d[0], { kind: 'any' }) %}
  | "all" {% d => B.node('q', d[0], d[0], { kind: 'all' }) %}
  | "none" {% d => B.node('q', d[0], d[0], { kind: 'none' }) %}
  | primary {% d => B.node('q', d[0], d[0], { kind: 'n', n: d[0] }) %}
  | primary "%" {% d => B.node('q', d[0], d[1], { kind: 'pct', n: d[0] }) %}
strSet -> "them" {% d => B.node('them', d[0], d[0], {}) %}
  | "(" ruleList ")" {% d => B.node('rulelist', d[0], d[2], { items: d[1] }) %}
  | "(" strList ")" {% d => B.node('strlist', d[0], d[2], { items: d[1] }) %}
strList -> %strid {% d => [d[0]] %} | strList "," %strid {% d => d[0].concat([d[2]]) %}
ruleList -> ruleRef {% d => [d[0]] %} | ruleList "," ruleRef {% d => d[0].concat([d[2]]) %}
ruleRef -> %ident {% d => ({ name: d[0], wild: false }) %} | %ident "*" {% d => ({ name: d[0], wild: true, star: d[1] }) %}
